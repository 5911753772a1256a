// Mode migrate's uploads into a bucket: the files stream from `tar` in the pod (over `kubectl
// exec`) through the runner into one S3 object each, key = prefix + the file's path under the
// uploads directory. Nothing is written to the runner's disk: a small file is held whole (at most
// one part) and put while the archive goes on, a large one is sent in parts as it arrives. The
// destination is read back to verify (SeaweedFS stores no SHA-256 we could ask for instead).
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FileEntry } from '../../core/files/inventory.js'
import { TarReader, type TarEntry } from '../../core/files/tar.js'
import type { ObjectStore } from '../../core/s3/client.js'
import { DEFAULT_PART_SIZE, S3UploadStream } from '../../core/s3/multipart.js'
import { forEachLimited } from './bucket.js'

/** What a listing (or a HEAD) says of an object under the prefix. */
export interface StoredObject {
  readonly size: number
  readonly etag: string
}

export interface BucketState {
  /** Every object under the prefix, by key. */
  readonly objects: ReadonlyMap<string, StoredObject>
  /** The objects of the source's files, as read back: path → size and SHA-256 (of what is stored). */
  readonly files: Map<string, FileEntry>
}

/** What a copy into the bucket stored, by path. */
export interface CopiedObject extends FileEntry {
  readonly etag: string
}

/** The object key of a file: the prefix, then its path under the uploads directory, byte for byte. */
export function objectKey(prefix: string, path: string): string {
  return `${prefix}${path}`
}

/** Reads an object to its end: its size and SHA-256; undefined when it is not there (any more). */
export async function readBack(store: ObjectStore, key: string): Promise<{ size: number; sha256: string } | undefined> {
  const object = await store.get(key)
  if (!object) return undefined
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of object.body) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { size, sha256: hash.digest('hex') }
}

/**
 * The objects under the prefix, and the SHA-256 of those that stand for a source file with the same
 * size (read back; an object of another size is different without reading it). `known` skips the
 * read for objects whose ETag has not changed since they were read (or written) earlier in the run.
 */
export async function observeBucket(
  store: ObjectStore,
  prefix: string,
  source: ReadonlyMap<string, FileEntry>,
  options: { concurrency: number; known?: ReadonlyMap<string, CopiedObject> }
): Promise<BucketState> {
  const objects = new Map<string, StoredObject>()
  for await (const object of store.list(prefix)) objects.set(object.key, { size: object.size, etag: object.etag })
  // A key S3 cannot list as it is (a control character in an XML listing) is asked for by name.
  const unmatched = [...objects.keys()].filter((key) => !source.has(key.slice(prefix.length))).length
  const files = new Map<string, FileEntry>()
  await forEachLimited([...source.values()], options.concurrency, async (file) => {
    const key = objectKey(prefix, file.path)
    let stored: StoredObject | undefined = objects.get(key)
    if (!stored && unmatched > 0) {
      const head = await store.head(key)
      if (head) objects.set(key, (stored = { size: head.size, etag: head.etag }))
    }
    if (!stored) return
    const known = options.known?.get(file.path)
    if (known && known.etag === stored.etag && known.size === stored.size) return void files.set(file.path, { path: file.path, size: known.size, sha256: known.sha256 })
    if (stored.size !== file.size) return void files.set(file.path, { path: file.path, size: stored.size, sha256: '' })
    const read = await readBack(store, key)
    if (read) files.set(file.path, { path: file.path, size: read.size, sha256: read.sha256 })
  })
  return { objects, files }
}

/** The objects under the prefix that stand for no file of the source (left in place). */
export function extraObjects(state: BucketState, prefix: string, source: ReadonlyMap<string, FileEntry>): string[] {
  return [...state.objects.keys()].filter((key) => !source.has(key.slice(prefix.length)))
}

/**
 * A Writable for the pod's tar stream: stores each regular file named in `wanted` as an object,
 * skips the rest (directories, symlinks, files already there). Small files are put while the
 * archive goes on (at most `concurrency` at once, each held whole: at most one part); large ones
 * are uploaded in parts as they arrive. `copied` says what was stored, with the SHA-256 of the
 * bytes that went into each object.
 */
export class BucketWriter extends TarReader {
  readonly copied = new Map<string, CopiedObject>()
  /** Bytes of file data that went into objects. */
  bytes = 0
  private readonly pending = new Set<Promise<void>>()
  /** Handlers still reading an entry: settle() waits for them too, so no put starts after it. */
  private readonly active = new Set<Promise<void>>()
  private readonly uploads = new Map<string, Promise<void>>()
  private failure: Error | undefined

  constructor(store: ObjectStore, prefix: string, wanted: ReadonlySet<string>, options: { concurrency: number; partSize?: number }) {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE
    super(async (entry, body) => {
      if (this.failure) throw this.failure
      if (!wanted.has(entry.path) || (entry.type !== 'file' && entry.type !== 'hardlink')) return
      const upload = entry.type === 'hardlink' ? this.copyLink(store, prefix, entry) : entry.size <= partSize ? this.putSmall(store, prefix, entry, body, options.concurrency) : this.putLarge(store, prefix, entry, body, partSize)
      this.uploads.set(entry.path, upload)
      const tracked = upload.finally(() => this.active.delete(tracked))
      // Reported through `await upload` below; this copy only marks it done.
      tracked.catch(() => undefined)
      this.active.add(tracked)
      await upload
    })
  }

  override _final(callback: (error?: Error | null) => void): void {
    super._final((error) => {
      if (error) return callback(error)
      this.settle().then(() => callback(), (failure: Error) => callback(failure))
    })
  }

  /** Resolves once every put started has ended; rejects with the first failure. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1000 && this.pending.size + this.active.size > 0; round++) await Promise.allSettled([...this.pending, ...this.active])
    if (this.failure) throw this.failure
  }

  private record(path: string, size: number, sha256: string, etag: string): void {
    this.copied.set(path, { path, size, sha256, etag })
    this.bytes += size
  }

  /** Reads the file whole (at most one part), then puts it in the background once a slot is free. */
  private async putSmall(store: ObjectStore, prefix: string, entry: TarEntry, body: Readable, concurrency: number): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of body) chunks.push(chunk as Buffer)
    const data = Buffer.concat(chunks)
    while (this.pending.size >= concurrency) await Promise.race(this.pending)
    if (this.failure) throw this.failure
    // The archive failed meanwhile: nothing is started once the copy is over.
    if (this.destroyed) throw new Error(`The archive stopped before ${JSON.stringify(entry.path)} was stored`)
    const sha256 = createHash('sha256').update(data).digest('hex')
    const put: Promise<void> = store.put(objectKey(prefix, entry.path), data).then(
      ({ etag }) => this.record(entry.path, data.length, sha256, etag),
      (error: Error) => {
        this.failure ??= new Error(`Storing ${JSON.stringify(entry.path)} failed: ${error.message}`, { cause: error })
      }
    )
    const tracked = put.finally(() => this.pending.delete(tracked))
    this.pending.add(tracked)
  }

  private async putLarge(store: ObjectStore, prefix: string, entry: TarEntry, body: Readable, partSize: number): Promise<void> {
    const upload = new S3UploadStream(store, objectKey(prefix, entry.path), { partSize })
    await pipeline(body, upload)
    const result = await upload.result
    this.record(entry.path, result.size, result.sha256, result.etag)
  }

  /** A second name of a file already in this archive: its object is copied from the first one's. */
  private async copyLink(store: ObjectStore, prefix: string, entry: TarEntry): Promise<void> {
    await this.uploads.get(entry.linkPath)
    await this.settle()
    const object = await store.get(objectKey(prefix, entry.linkPath))
    if (!object) throw new Error(`${JSON.stringify(entry.path)} is a hard link to ${JSON.stringify(entry.linkPath)}, which is not in the bucket`)
    const upload = new S3UploadStream(store, objectKey(prefix, entry.path))
    await pipeline(object.body, upload)
    const result = await upload.result
    this.record(entry.path, result.size, result.sha256, result.etag)
  }
}
