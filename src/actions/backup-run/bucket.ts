import { createHash } from 'node:crypto'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { listBackups, newestComplete, readManifest } from '../../core/backup/catalog.js'
import { backupId, bucketObjectKey, bucketObjectsPrefix, dataKey, newBackupStart, parseBucketObjectKey, sourceLabel, type SourceRef } from '../../core/backup/keys.js'
import type { Manifest, MirroredObject } from '../../core/backup/manifest.js'
import { fetchStream, formatBytes, storeStream } from '../../core/backup/pipeline.js'
import { INCOMPLETE_GRACE_MS } from '../../core/backup/retention.js'
import type { ObjectStore } from '../../core/s3/client.js'
import { S3UploadStream } from '../../core/s3/multipart.js'
import { encryptionSuffix, manifestHead, objectEntry, runnerTools, writeManifest } from './manifests.js'
import type { Runtime, TaskResult } from './runtime.js'

/** One line of a snapshot's encrypted index: a source object and where its mirror is. */
export interface IndexEntry {
  key: string
  size: number
  etag: string
  object: string
  plaintextSha256: string
}

/**
 * The mirrored object's opaque name: a hash of the source object's identity (key, size, ETag). The
 * same object mirrored again has the same name, which is what makes the mirror incremental without
 * reading anything back; different content gets a new name, so older snapshots keep theirs.
 */
export function mirrorName(bucket: string, key: string, size: number, etag: string): string {
  return createHash('sha256').update(`${bucket}\0${key}\0${size}\0${etag}`).digest('hex')
}

/** Runs `task` over `items` with at most `limit` at once; returns the first error after all settle. */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: unknown
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T
      try {
        await task(item)
      } catch (error) {
        failure ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failure !== undefined) throw failure
}

/**
 * `bucket:<name>`: mirrors the source bucket object by object into
 * `<prefix>bucket-objects/<name>/`, encrypted, copying only objects whose (key, size, ETag) the
 * newest complete snapshot does not already hold, with bounded concurrency. The snapshot is an
 * encrypted index (source key → mirrored object) plus a manifest listing every mirrored object it
 * needs with its checksum; the manifest goes last.
 */
export async function mirrorBucket(rt: Runtime, source: SourceRef): Promise<TaskResult> {
  const label = sourceLabel(source)
  const src = rt.sourceStore(source.name)
  await src.checkBucket('source')
  const startedAt = newBackupStart(source, rt.now())
  const id = backupId(startedAt)

  const previous = newestComplete(await listBackups(rt.store, rt.config.prefix, source))
  const known = new Map<string, MirroredObject>()
  if (previous) for (const ref of (await readManifest(rt.store, previous)).bucket?.references ?? []) known.set(ref.object, ref)

  const objects = await src.listAll('')
  const index: IndexEntry[] = new Array<IndexEntry>(objects.length)
  const references = new Map<string, MirroredObject>()
  let copied = 0
  let copiedBytes = 0
  let totalBytes = 0
  // Reused objects keep the plaintext checksum the snapshot that copied them recorded in its index;
  // it is not in the (plaintext) manifest, so it is carried as '' and filled from the copy on restore.
  await forEachLimited(
    objects.map((o, i) => ({ o, i })),
    rt.config.concurrency,
    async ({ o, i }) => {
      totalBytes += o.size
      const name = mirrorName(source.name, o.key, o.size, o.etag)
      const reused = known.get(name)
      if (reused) {
        references.set(name, reused)
        index[i] = { key: o.key, size: o.size, etag: o.etag, object: name, plaintextSha256: '' }
        return
      }
      const stored = await storeStream(
        async (sink: Writable) => {
          const got = await src.get(o.key)
          if (!got) throw new Error(`${o.key} disappeared from ${source.name} while it was being mirrored`)
          await pipeline(got.body, sink)
        },
        rt.storing(bucketObjectKey(rt.config.prefix, source.name, name), { compression: 'none' })
      )
      if (stored.plaintextBytes !== o.size) throw new Error(`${o.key}: read ${stored.plaintextBytes} bytes, the listing says ${o.size}`)
      copied++
      copiedBytes += o.size
      references.set(name, { object: name, storedBytes: stored.storedBytes, storedSha256: stored.storedSha256 })
      index[i] = { key: o.key, size: o.size, etag: o.etag, object: name, plaintextSha256: stored.plaintextSha256 }
    }
  )

  const indexText = Buffer.from(index.map((entry) => JSON.stringify(entry)).join('\n') + (index.length > 0 ? '\n' : ''), 'utf8')
  const indexKey = dataKey(rt.config.prefix, source, id, `index.jsonl.zst${encryptionSuffix(rt)}`)
  const storedIndex = await storeStream((sink) => pipeline(Readable.from([indexText]), sink), rt.storing(indexKey, { compression: 'zstd' }))
  const indexEntry = objectEntry(storedIndex, 'bucket-index-jsonl', 'zstd', rt)
  const manifest: Manifest = {
    ...manifestHead(rt, source, id, startedAt),
    bucket: { objects: objects.length, bytes: totalBytes, copied, copiedBytes, index: indexEntry, references: [...references.values()].sort((a, b) => (a.object < b.object ? -1 : 1)) },
    tools: runnerTools(),
    timings: { totalMs: rt.now().getTime() - startedAt.getTime() }
  }
  await writeManifest(rt, manifest)
  return {
    source: label,
    id,
    outcome: 'backed up',
    detail: `${objects.length} objects (${formatBytes(totalBytes)}); copied ${copied} (${formatBytes(copiedBytes)}), ${objects.length - copied} already mirrored`,
    // Stored: the snapshot's own index (what list, verify and prune count); the copied objects are shared.
    storedBytes: storedIndex.storedBytes,
    plaintextBytes: totalBytes
  }
}

/** Reads a snapshot's encrypted index (verified against the manifest). */
export async function readIndex(rt: Runtime, manifest: Manifest): Promise<IndexEntry[]> {
  const entry = manifest.bucket?.index
  if (!entry) throw new Error(`The manifest of ${manifest.id} has no bucket index`)
  const chunks: Buffer[] = []
  await fetchStream(
    async (plain) => {
      for await (const chunk of plain) chunks.push(chunk as Buffer)
    },
    { store: rt.store, key: entry.key, expected: entry, compression: entry.compression, encryption: entry.encryption.kind, keys: rt.config.keys }
  )
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as IndexEntry)
}

/** Checks every mirrored object a snapshot references: present, same size and SHA-256 as recorded. */
export async function verifyMirror(rt: Runtime, manifest: Manifest): Promise<number> {
  const refs = manifest.bucket?.references ?? []
  await forEachLimited(refs, rt.config.concurrency, async (ref) => {
    await fetchStream(undefined, {
      store: rt.store,
      key: bucketObjectKey(rt.config.prefix, manifest.source.name, ref.object),
      expected: { storedBytes: ref.storedBytes, storedSha256: ref.storedSha256 },
      compression: 'none',
      encryption: 'none',
      keys: undefined
    })
  })
  return refs.length
}

/** Copies a snapshot back into `target` (a bucket on the source S3 store), checking every checksum. */
export async function restoreMirror(rt: Runtime, manifest: Manifest, target: ObjectStore): Promise<{ objects: number; bytes: number }> {
  const index = await readIndex(rt, manifest)
  const refs = new Map((manifest.bucket?.references ?? []).map((r) => [r.object, r]))
  const encryption = manifest.bucket?.index.encryption.kind ?? 'none'
  let bytes = 0
  await forEachLimited(index, rt.config.concurrency, async (entry) => {
    const ref = refs.get(entry.object)
    if (!ref) throw new Error(`The index names ${entry.object} for ${entry.key}, which the manifest does not list`)
    await fetchStream((plain) => pipeline(plain, new S3UploadStream(target, entry.key)), {
      store: rt.store,
      key: bucketObjectKey(rt.config.prefix, manifest.source.name, entry.object),
      expected: { storedBytes: ref.storedBytes, storedSha256: ref.storedSha256, plaintextBytes: entry.size, ...(entry.plaintextSha256 ? { plaintextSha256: entry.plaintextSha256 } : {}) },
      compression: 'none',
      encryption,
      keys: rt.config.keys
    })
    bytes += entry.size
  })
  return { objects: index.length, bytes }
}

/**
 * Deletes mirrored objects no remaining snapshot references. Objects younger than a day are left
 * alone: a mirror still running has copied them but not yet written the manifest that names them.
 */
export async function collectMirrorGarbage(rt: Runtime, bucket: string, referenced: ReadonlySet<string>, dryRun: boolean): Promise<string[]> {
  const now = rt.now().getTime()
  const garbage: string[] = []
  for await (const object of rt.store.list(bucketObjectsPrefix(rt.config.prefix, bucket))) {
    const name = parseBucketObjectKey(rt.config.prefix, bucket, object.key)
    if (name === undefined || referenced.has(name)) continue
    if (object.lastModified && now - object.lastModified.getTime() < INCOMPLETE_GRACE_MS) continue
    garbage.push(object.key)
  }
  if (!dryRun && garbage.length > 0) await rt.store.deleteMany(garbage)
  return garbage
}
