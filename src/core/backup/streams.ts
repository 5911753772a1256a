import { createHash, type Hash } from 'node:crypto'
import { Duplex, PassThrough, Readable, Transform, type TransformCallback } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import zlib from 'node:zlib'
import { Decrypter, Encrypter } from 'age-encryption'

export const COMPRESSIONS = ['zstd', 'gzip', 'none'] as const
export type Compression = (typeof COMPRESSIONS)[number]

/** Level 3 is zstd's own default: ~4× faster than gzip -6 at a better ratio. */
export const ZSTD_LEVEL = 3

export function createCompressor(kind: Compression): Transform {
  switch (kind) {
    case 'zstd':
      return zlib.createZstdCompress({
        params: {
          [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
          // A frame checksum: a stored object that decrypts but decompresses wrongly still fails.
          [zlib.constants.ZSTD_c_checksumFlag]: 1
        }
      })
    case 'gzip':
      return zlib.createGzip({ level: 6 })
    case 'none':
      return new PassThrough()
  }
}

export function createDecompressor(kind: Compression): Transform {
  switch (kind) {
    case 'zstd':
      return zlib.createZstdDecompress()
    case 'gzip':
      return zlib.createGunzip()
    case 'none':
      return new PassThrough()
  }
}

export function compressionSuffix(kind: Compression): string {
  return kind === 'zstd' ? '.zst' : kind === 'gzip' ? '.gz' : ''
}

/** How stored objects are encrypted: age (age-encryption.org/v1), to X25519 recipients or a passphrase. */
export type Encryption = { kind: 'age-recipients'; recipients: readonly string[] } | { kind: 'age-passphrase'; passphrase: string } | { kind: 'none' }

/** What can decrypt: age identities (`AGE-SECRET-KEY-1…`) and/or a passphrase. */
export interface DecryptionKeys {
  identities: readonly string[]
  passphrase: string | undefined
}

/** The manifest's description of an Encryption (never the passphrase). */
export function describeEncryption(encryption: Encryption): { kind: Encryption['kind']; recipients?: string[] } {
  return encryption.kind === 'age-recipients' ? { kind: encryption.kind, recipients: [...encryption.recipients] } : { kind: encryption.kind }
}

/**
 * An age encryptor as a Node Duplex (age-encryption works on WHATWG streams): plaintext in,
 * the age file out, in 64 KiB authenticated chunks, so corruption anywhere is caught on decrypt.
 */
export function createEncryptor(encryption: Encryption): Duplex {
  if (encryption.kind === 'none') return new PassThrough()
  const encrypter = new Encrypter()
  if (encryption.kind === 'age-passphrase') encrypter.setPassphrase(encryption.passphrase)
  else for (const recipient of encryption.recipients) encrypter.addRecipient(recipient)
  return webTransform((input) => encrypter.encrypt(input))
}

export function createDecryptor(encryption: Encryption['kind'], keys: DecryptionKeys): Duplex {
  if (encryption === 'none') return new PassThrough()
  const decrypter = new Decrypter()
  for (const identity of keys.identities) decrypter.addIdentity(identity)
  if (keys.passphrase !== undefined) decrypter.addPassphrase(keys.passphrase)
  return webTransform((input) => decrypter.decrypt(input))
}

type WebBytes = ReadableStream<Uint8Array>

/** Wraps `(readable) => Promise<readable>` over web streams as one Node Duplex, errors included. */
function webTransform(transform: (input: WebBytes) => Promise<WebBytes>): Duplex {
  const input = new PassThrough({ highWaterMark: 256 * 1024 })
  const output = new PassThrough({ highWaterMark: 256 * 1024 })
  const duplex = Duplex.from({ writable: input, readable: output })
  const webInput = Readable.toWeb(input) as unknown as WebBytes
  transform(webInput).then(
    (webOutput) => {
      const readable = Readable.fromWeb(webOutput as unknown as WebReadableStream<Uint8Array>)
      readable.on('error', (error) => duplex.destroy(error))
      readable.pipe(output)
    },
    (error: Error) => duplex.destroy(error)
  )
  return duplex
}

/** Counts what passes through: progress and sizes, where no digest of the whole stream is checked. */
export class CountingStream extends Transform {
  bytes = 0

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    callback(null, chunk)
  }
}

/** Counts and hashes (SHA-256) what passes through; optionally checks the result at the end. */
export class HashingStream extends CountingStream {
  private readonly hash: Hash = createHash('sha256')
  private digestHex: string | undefined
  private readonly expected: { sha256: string; size?: number; what: string } | undefined

  constructor(expected?: { sha256: string; size?: number; what: string }) {
    super()
    this.expected = expected
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    super._transform(chunk, encoding, callback)
  }

  /** A mismatch errors here, before the end of the stream is passed on: a consumer never gets EOF for bad data. */
  override _flush(callback: TransformCallback): void {
    this.digestHex = this.hash.digest('hex')
    const expected = this.expected
    if (expected) {
      if (expected.size !== undefined && expected.size !== this.bytes)
        return callback(new ChecksumMismatchError(`${expected.what}: ${this.bytes} bytes read, the manifest says ${expected.size}`))
      if (expected.sha256 !== this.digestHex)
        return callback(new ChecksumMismatchError(`${expected.what}: SHA-256 ${this.digestHex}, the manifest says ${expected.sha256}`))
    }
    callback()
  }

  get sha256(): string {
    if (this.digestHex === undefined) throw new Error('the stream has not ended')
    return this.digestHex
  }
}

export class ChecksumMismatchError extends Error {
  constructor(message: string) {
    super(`Checksum mismatch: ${message}`)
    this.name = 'ChecksumMismatchError'
  }
}

/**
 * Passes everything through and hands the first `limit` bytes to `inspect` once it has them (or at
 * the end): a header check on the stream without buffering it. `inspect` throwing fails the stream.
 */
export class HeaderPeek extends Transform {
  private readonly limit: number
  private readonly inspect: (head: Buffer) => void
  private head: Buffer[] = []
  private seen = 0
  private inspected = false

  constructor(limit: number, inspect: (head: Buffer) => void) {
    super()
    this.limit = limit
    this.inspect = inspect
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.inspected) {
      this.head.push(chunk)
      this.seen += chunk.length
      if (this.seen >= this.limit) {
        const error = this.check()
        if (error) return callback(error)
      }
    }
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    callback(this.inspected ? null : this.check())
  }

  private check(): Error | null {
    this.inspected = true
    const head = Buffer.concat(this.head).subarray(0, this.limit)
    this.head = []
    try {
      this.inspect(head)
      return null
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error))
    }
  }
}

/**
 * Feeds `source` to a consumer that may stop reading before EOF because it has all it needs
 * (pg_restore ends after a custom archive's last entry), while the producer's end is still on its
 * way (kubectl exec holds stdout open until its remote process is reaped). The SSH layer destroys
 * an input its command left unread, so the consumer gets its own stream: once `consume` resolves,
 * whatever the producer still sends is drained, so the producer exits and reports its own status;
 * once it rejects, `source` is destroyed with that error, which stops the producer.
 */
export async function consumeAllowingEarlyEnd(source: Readable, consume: (input: Readable) => Promise<void>): Promise<void> {
  const input = new PassThrough()
  // The consumer hears of a failing source through its own listener while it reads; once it has
  // stopped reading (the SSH layer removes its listener), the error is the producer's to report.
  input.on('error', () => undefined)
  const forward = (error: Error): void => {
    input.destroy(error)
  }
  source.once('error', forward)
  source.pipe(input)
  try {
    await consume(input)
  } catch (error) {
    if (!source.destroyed) source.destroy(error as Error)
    throw error
  } finally {
    source.off('error', forward)
    source.unpipe(input)
  }
  source.resume()
}
