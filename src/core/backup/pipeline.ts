import { Transform, Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ObjectStore } from '../s3/client.js'
import { S3UploadStream, type UploadOptions } from '../s3/multipart.js'
import { sleep } from '../sleep.js'
import {
  createCompressor,
  createDecompressor,
  createDecryptor,
  createEncryptor,
  HashingStream,
  type Compression,
  type DecryptionKeys,
  type Encryption
} from './streams.js'

/** Reports bytes and rate at most every `intervalMs` while a long transfer runs. */
export class Progress {
  private readonly label: string
  private readonly report: (line: string) => void
  private readonly intervalMs: number
  private readonly started = Date.now()
  private last = Date.now()
  private timer: NodeJS.Timeout | undefined

  constructor(label: string, report: (line: string) => void, intervalMs = 10_000) {
    this.label = label
    this.report = report
    this.intervalMs = intervalMs
  }

  start(read: () => number, stored: () => number): void {
    this.timer = setInterval(() => {
      const now = Date.now()
      if (now - this.last < this.intervalMs) return
      this.last = now
      const seconds = (now - this.started) / 1000
      this.report(`${this.label}: ${formatBytes(read())} read, ${formatBytes(stored())} transferred, ${formatBytes(read() / Math.max(seconds, 0.001))}/s`)
    }, Math.min(this.intervalMs, 1000))
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

export interface StoreOptions {
  store: ObjectStore
  key: string
  compression: Compression
  encryption: Encryption
  upload?: Omit<UploadOptions, 'commitGate'>
  /** Checks on the plaintext as it passes (e.g. a pg_dump header check); they run before compression. */
  inspect?: Transform[]
  progress?: Progress
}

export interface StoredObject {
  key: string
  plaintextBytes: number
  plaintextSha256: string
  storedBytes: number
  storedSha256: string
  parts: number
  etag: string
}

/**
 * source → SHA-256 of the plaintext → compression → encryption → SHA-256 of what is stored →
 * S3 (multipart, bounded memory, no temporary file). `produce` writes the source into the sink it
 * is given (e.g. `dokku postgres:export` over SSH) and resolves only if the source succeeded; the
 * object is completed only then. Any stage failing (the command's exit status, the connection, a
 * header check, compression, encryption, the upload) rejects, and the upload is aborted.
 */
export async function storeStream(produce: (sink: Writable) => Promise<void>, options: StoreOptions): Promise<StoredObject> {
  const plain = new HashingStream()
  const stored = new HashingStream()
  let producing!: Promise<void>
  const gate = new Promise<void>((resolve, reject) => {
    producing = Promise.resolve().then(() => produce(plain))
    producing.then(resolve, reject)
  })
  const uploader = new S3UploadStream(options.store, options.key, { ...options.upload, commitGate: gate, contentType: 'application/octet-stream' })
  // The producer failing must stop the whole chain now, not when its (possibly ended) sink drains.
  producing.catch((error: Error) => plain.destroy(error))
  options.progress?.start(() => plain.bytes, () => stored.bytes)
  try {
    const [result] = await Promise.all([
      pipeline([plain, ...(options.inspect ?? []), createCompressor(options.compression), createEncryptor(options.encryption), stored, uploader]).then(() => uploader.result),
      producing
    ])
    return {
      key: options.key,
      plaintextBytes: plain.bytes,
      plaintextSha256: plain.sha256,
      storedBytes: stored.bytes,
      storedSha256: stored.sha256,
      parts: result.parts,
      etag: result.etag
    }
  } catch (error) {
    // Whichever failed first is the cause; the other side's error is a consequence of it.
    const cause = await firstFailure(producing, error)
    // pipeline() rejects on the first error without waiting for the others to close: wait for the
    // uploader's abort to be answered, so nothing is left on the server when this rejects.
    await uploader.discard(cause instanceof Error ? cause : new Error(String(cause)))
    if (uploader.abortFailure && cause instanceof Error)
      cause.message += ` (aborting the multipart upload of ${options.key} also failed, so parts may be left on the server: ${uploader.abortFailure.message})`
    throw cause
  } finally {
    options.progress?.stop()
  }
}

async function firstFailure(producing: Promise<void>, fallback: unknown): Promise<unknown> {
  // When the producer failed, its error (the command's exit code and stderr) explains more than
  // "stream destroyed" from the pipeline.
  const outcome = await Promise.race([producing.then(() => undefined, (error: unknown) => error), sleep(50)])
  return outcome ?? fallback
}

export interface Expected {
  storedBytes: number
  storedSha256: string
  plaintextBytes?: number
  plaintextSha256?: string
}

export interface FetchOptions {
  store: ObjectStore
  key: string
  expected: Expected
  compression: Compression
  encryption: Encryption['kind']
  /** Without keys, only the stored bytes are checked (and nothing is decrypted). */
  keys: DecryptionKeys | undefined
  progress?: Progress
}

export interface FetchedObject {
  storedBytes: number
  storedSha256: string
  plaintextBytes: number | undefined
  plaintextSha256: string | undefined
}

/**
 * S3 → SHA-256 of what is stored (checked) → decryption → decompression → SHA-256 of the
 * plaintext (checked) → `consume`. The checks fail the stream before its end is passed on, so a
 * consumer never sees EOF for data that does not match the manifest.
 */
export async function fetchStream(consume: ((source: Transform) => Promise<void>) | undefined, options: FetchOptions): Promise<FetchedObject> {
  const object = await options.store.get(options.key)
  if (!object) throw new Error(`The backup object ${options.key} is missing from the bucket`)
  const stored = new HashingStream({ sha256: options.expected.storedSha256, size: options.expected.storedBytes, what: `stored object ${options.key}` })
  const decrypting = options.keys !== undefined || options.encryption === 'none'
  const plain = decrypting
    ? new HashingStream(
        options.expected.plaintextSha256 === undefined
          ? undefined
          : { sha256: options.expected.plaintextSha256, ...(options.expected.plaintextBytes === undefined ? {} : { size: options.expected.plaintextBytes }), what: `restored data of ${options.key}` }
      )
    : undefined
  options.progress?.start(() => stored.bytes, () => plain?.bytes ?? stored.bytes)
  try {
    if (!plain) {
      await pipeline(object.body, stored, devNull())
    } else {
      const keys = options.keys ?? { identities: [], passphrase: undefined }
      const chain = pipeline(object.body, stored, createDecryptor(options.encryption, keys), createDecompressor(options.compression), plain, ...(consume ? [] : [devNull()]))
      if (consume) {
        const consuming = consume(plain)
        // A failed consumer stops the download; a failed download destroys what the consumer reads.
        consuming.catch((error: Error) => object.body.destroy(error))
        await Promise.all([chain, consuming])
      } else await chain
    }
  } finally {
    options.progress?.stop()
  }
  return { storedBytes: stored.bytes, storedSha256: stored.sha256, plaintextBytes: plain?.bytes, plaintextSha256: plain?.sha256 }
}

export function devNull(): Writable {
  return new Writable({
    write(_chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      callback()
    }
  })
}
