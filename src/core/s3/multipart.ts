import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import type { ObjectStore } from './client.js'

const MIB = 1024 * 1024
/** S3's smallest part (all but the last); SeaweedFS enforces the same. */
export const MIN_PART_SIZE = 5 * MIB
export const DEFAULT_PART_SIZE = 8 * MIB
export const DEFAULT_CONCURRENCY = 4
const MAX_PARTS = 10_000
const MAX_PART_SIZE = 1024 * MIB
const PARTS_PER_SIZE_STEP = 1000

/**
 * The size of part `n` (from 1): the base size for parts 1–1000, twice that for 1001–2000, and so
 * on (capped at 1 GiB). A stream of unknown length thus never runs out of S3's 10,000 parts (8 MiB
 * base → ~8 TiB) while small backups keep small parts, and memory grows only for huge objects.
 */
export function partSizeFor(partNumber: number, baseSize: number): number {
  const step = Math.floor((partNumber - 1) / PARTS_PER_SIZE_STEP)
  return Math.min(baseSize * 2 ** step, MAX_PART_SIZE)
}

export interface UploadOptions {
  /** Part size for the first 1000 parts; at least 5 MiB. */
  partSize?: number
  /** Parts uploaded at once. Memory is about (concurrency + 1) × part size. */
  concurrency?: number
  contentType?: string
  /**
   * Resolves when the data written is known to be whole (the producer exited 0). The upload is
   * completed only after it resolves; if it rejects, the upload is aborted instead. A command that
   * failed half-way must never leave an object that looks whole.
   */
  commitGate?: Promise<void>
}

export interface UploadResult {
  key: string
  /** Bytes stored. */
  size: number
  /** SHA-256 (hex) of the bytes stored. */
  sha256: string
  /** 0 for a single PutObject. */
  parts: number
  etag: string
}

/** Uploads not yet completed or aborted: what a cancelled run (SIGINT/SIGTERM) must abort before it exits. */
const active = new Set<S3UploadStream>()

/**
 * Aborts every multipart upload still in progress in this process and resolves when the server has
 * answered (or `timeoutMs` has passed): for a job cancelled in the middle of a backup.
 */
export async function abortActiveUploads(reason: Error, timeoutMs = 5_000): Promise<number> {
  const uploads = [...active]
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.allSettled(uploads.map((upload) => upload.discard(reason))),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
      timer.unref()
    })
  ])
  clearTimeout(timer)
  return uploads.length
}

interface PartBuffer {
  buffer: Buffer
  filled: number
}

/**
 * A Writable that stores what is written into one S3 object: a single PutObject when it all fits
 * in one part, else a multipart upload with bounded concurrency and backpressure (a write is
 * acknowledged only when a slot is free), so memory stays constant whatever the size. Every part
 * has a known Content-Length (no aws-chunked framing, no checksum trailer) and is retried by the
 * SDK on its own. Destroyed, or failing, before the end: in-flight parts are cancelled and the
 * upload is aborted on the server, so no orphan parts are left behind.
 */
export class S3UploadStream extends Writable {
  readonly key: string
  readonly result: Promise<UploadResult>
  private readonly store: ObjectStore
  private readonly baseSize: number
  private readonly concurrency: number
  private readonly contentType: string
  private readonly commitGate: Promise<void>
  private readonly hash = createHash('sha256')
  private readonly inFlight = new Set<Promise<void>>()
  private readonly done: { PartNumber: number; ETag: string }[] = []
  private readonly cancel = new AbortController()
  private readonly pool: Buffer[] = []
  private current: PartBuffer | undefined
  private uploadId: string | undefined
  private creating: Promise<string> | undefined
  private aborted = false
  private nextPart = 1
  private size = 0
  private failure: Error | undefined
  /** Set when aborting the multipart upload failed: parts may be left on the server. */
  abortFailure: Error | undefined
  private completed = false
  private resolveResult!: (result: UploadResult) => void
  private rejectResult!: (error: Error) => void

  constructor(store: ObjectStore, key: string, options: UploadOptions = {}) {
    super({ highWaterMark: 1024 * 1024 })
    this.store = store
    this.key = key
    this.baseSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE)
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
    this.contentType = options.contentType ?? 'application/octet-stream'
    this.commitGate = options.commitGate ?? Promise.resolve()
    // Observed, so an early rejection of the gate is never "unhandled".
    this.commitGate.catch(() => undefined)
    this.result = new Promise<UploadResult>((resolve, reject) => {
      this.resolveResult = resolve
      this.rejectResult = reject
    })
    this.result.catch(() => undefined)
    active.add(this)
    this.once('close', () => active.delete(this))
  }

  /**
   * Destroys the stream (aborting the upload when it is not complete) and resolves once the abort
   * has been answered by the server, so that a failed backup returns with nothing left behind.
   */
  async discard(error: Error): Promise<void> {
    if (!this.destroyed) this.destroy(error)
    if (!this.closed) await new Promise<void>((resolve) => this.once('close', () => resolve()))
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.accept(chunk).then(() => callback(), (error: Error) => callback(error))
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(
      (result) => {
        this.completed = true
        this.resolveResult(result)
        callback()
      },
      (error: Error) => callback(error)
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = error ?? new Error(`The upload of ${this.key} was stopped before it ended`)
    this.rejectResult(reason)
    if (this.completed) return callback(error)
    this.abort().then(
      () => callback(error),
      (abortError: Error) => {
        this.abortFailure = abortError
        callback(new Error(`${reason.message}; aborting the multipart upload of ${this.key} also failed: ${abortError.message}`, { cause: reason }))
      }
    )
  }

  private async accept(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure
    this.hash.update(chunk)
    this.size += chunk.length
    let offset = 0
    while (offset < chunk.length) {
      const part = (this.current ??= this.newPart())
      const n = Math.min(chunk.length - offset, part.buffer.length - part.filled)
      chunk.copy(part.buffer, part.filled, offset, offset + n)
      part.filled += n
      offset += n
      if (part.filled === part.buffer.length) {
        this.current = undefined
        await this.dispatch(part)
      }
    }
  }

  private newPart(): PartBuffer {
    const size = partSizeFor(this.nextPart, this.baseSize)
    const pooled = this.pool.pop()
    return { buffer: pooled && pooled.length === size ? pooled : Buffer.allocUnsafe(size), filled: 0 }
  }

  /** Starts uploading a full part once a slot is free; resolves when it has started. */
  private async dispatch(part: PartBuffer): Promise<void> {
    if (this.nextPart > MAX_PARTS) throw new Error(`${this.key} needs more than ${MAX_PARTS} parts`)
    this.creating ??= this.store.createMultipart(this.key, this.contentType)
    this.uploadId = await this.creating
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight)
    if (this.failure) throw this.failure
    if (this.aborted) throw new Error(`The upload of ${this.key} was aborted`)
    const partNumber = this.nextPart++
    const uploadId = this.uploadId
    const body = part.buffer.subarray(0, part.filled)
    const task: Promise<void> = this.store.uploadPart(this.key, uploadId, partNumber, body, this.cancel.signal).then(
      (etag) => {
        this.done.push({ PartNumber: partNumber, ETag: etag })
        if (part.filled === part.buffer.length) this.pool.push(part.buffer)
      },
      (error: Error) => {
        this.failure ??= new Error(`Uploading part ${partNumber} of ${this.key} failed: ${error.message}`, { cause: error })
      }
    )
    const tracked = task.finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
  }

  private async finish(): Promise<UploadResult> {
    const last = this.current
    this.current = undefined
    if (this.creating === undefined) {
      // Everything fit in one part: one PutObject, after the producer is known to have succeeded.
      await this.commitGate
      const body = last ? last.buffer.subarray(0, last.filled) : Buffer.alloc(0)
      const { etag } = await this.store.put(this.key, Buffer.from(body), { contentType: this.contentType })
      return { key: this.key, size: this.size, sha256: this.hash.digest('hex'), parts: 0, etag }
    }
    if (last && last.filled > 0) await this.dispatch(last)
    while (this.inFlight.size > 0) await Promise.race(this.inFlight)
    if (this.failure) throw this.failure
    await this.commitGate
    const parts = [...this.done].sort((a, b) => a.PartNumber - b.PartNumber)
    const { etag } = await this.store.completeMultipart(this.key, this.uploadId as string, parts)
    return { key: this.key, size: this.size, sha256: this.hash.digest('hex'), parts: parts.length, etag }
  }

  /** Cancels in-flight parts, waits for them to settle, then aborts the upload on the server. */
  private async abort(): Promise<void> {
    this.aborted = true
    this.cancel.abort()
    await Promise.allSettled([...this.inFlight])
    if (this.creating === undefined) return
    let uploadId: string
    try {
      uploadId = await this.creating
    } catch {
      return // never created: nothing to abort
    }
    await this.store.abortMultipart(this.key, uploadId)
  }
}
