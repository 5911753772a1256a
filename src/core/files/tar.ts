// A streaming reader of the tar archives `tar -c` writes in a pod (GNU tar, BusyBox tar, bsdtar):
// ustar headers with their name prefix, GNU long names (`L`/`K`) and pax records (`x`/`g`). Each
// entry's body is handed over as it arrives, with backpressure, so a file of any size passes
// through the runner in bounded memory and never touches its disk. Names are decoded as UTF-8, as
// the inventory (inventory.ts) decodes them, so that both sides name a file the same way.
import { Readable, Writable } from 'node:stream'

const BLOCK = 512

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

export interface TarEntry {
  /** The name as stored, with a leading `./` and a trailing `/` removed. */
  readonly path: string
  readonly type: TarEntryType
  readonly size: number
  /** For links: what they point to (a hard link: another entry's path, `./` removed). */
  readonly linkPath: string
}

/**
 * Called for every entry, in archive order. `body` yields the entry's data (empty but for files);
 * the reader goes on to the next entry once the returned promise resolves AND the body has been
 * read to its end (an unread body is drained). A rejection fails the archive.
 */
export type TarEntryHandler = (entry: TarEntry, body: Readable) => Promise<void>

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TarFormatError'
  }
}

interface PendingMeta {
  path?: string
  linkPath?: string
  size?: number
}

/** A Writable that parses the tar stream written to it and calls `handler` for each entry. */
export class TarReader extends Writable {
  /** Entries read so far (all types). */
  entries = 0
  /** Bytes of the archive read so far. */
  bytesRead = 0
  private readonly handler: TarEntryHandler
  private header: Buffer = Buffer.alloc(0)
  /** The body being passed on: bytes of data left, then padding left. */
  private body: { stream: Readable; handled: Promise<void>; left: number; padding: number; done: Promise<void> } | undefined
  /** A GNU long name / pax record being collected. */
  private meta: { kind: 'L' | 'K' | 'x' | 'g'; chunks: Buffer[]; left: number; padding: number } | undefined
  private next: PendingMeta = {}
  private global: PendingMeta = {}
  private zeroBlocks = 0
  private ended = false

  constructor(handler: TarEntryHandler) {
    super({ highWaterMark: 1024 * 1024 })
    this.handler = handler
  }

  /** True once the end-of-archive blocks were read (what follows is the record's padding). */
  get complete(): boolean {
    return this.ended
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), (error: Error) => callback(error))
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.ended) return callback()
    if (this.body || this.meta || this.header.length > 0) return callback(new TarFormatError('the archive ends in the middle of an entry (the stream was cut)'))
    // GNU tar always writes the two zero blocks; an archive without them was cut at an entry boundary.
    callback(new TarFormatError('the archive has no end-of-archive blocks (the stream was cut)'))
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.body?.stream.destroy(error ?? new TarFormatError('the archive was stopped in the middle of an entry'))
    callback(error)
  }

  private async consume(chunk: Buffer): Promise<void> {
    this.bytesRead += chunk.length
    let offset = 0
    while (offset < chunk.length) {
      if (this.ended) return
      if (this.body) {
        offset = await this.feedBody(chunk, offset)
        continue
      }
      if (this.meta) {
        offset = this.feedMeta(chunk, offset)
        continue
      }
      const need = BLOCK - this.header.length
      const take = chunk.subarray(offset, offset + need)
      offset += take.length
      this.header = this.header.length === 0 && take.length === BLOCK ? take : Buffer.concat([this.header, take])
      if (this.header.length === BLOCK) {
        const block = this.header
        this.header = Buffer.alloc(0)
        await this.onHeader(block)
      }
    }
  }

  private async feedBody(chunk: Buffer, offset: number): Promise<number> {
    const body = this.body as NonNullable<TarReader['body']>
    if (body.left > 0) {
      const n = Math.min(body.left, chunk.length - offset)
      body.left -= n
      // A copy: the upstream chunk may be reused by its producer once this write is acknowledged.
      const data = Buffer.from(chunk.subarray(offset, offset + n))
      offset += n
      if (!body.stream.push(data)) await this.drained(body)
      if (body.left === 0) body.stream.push(null)
    }
    if (body.left === 0) {
      const n = Math.min(body.padding, chunk.length - offset)
      body.padding -= n
      offset += n
      if (body.padding === 0) {
        this.body = undefined
        await body.done
      }
    }
    return offset
  }

  private feedMeta(chunk: Buffer, offset: number): number {
    const meta = this.meta as NonNullable<TarReader['meta']>
    if (meta.left > 0) {
      const n = Math.min(meta.left, chunk.length - offset)
      meta.chunks.push(chunk.subarray(offset, offset + n))
      meta.left -= n
      offset += n
    }
    if (meta.left === 0) {
      const n = Math.min(meta.padding, chunk.length - offset)
      meta.padding -= n
      offset += n
      if (meta.padding === 0) {
        this.meta = undefined
        this.applyMeta(meta.kind, Buffer.concat(meta.chunks))
      }
    }
    return offset
  }

  private applyMeta(kind: 'L' | 'K' | 'x' | 'g', data: Buffer): void {
    if (kind === 'L') this.next.path = cString(data)
    else if (kind === 'K') this.next.linkPath = cString(data)
    else Object.assign(kind === 'x' ? this.next : this.global, parsePax(data))
  }

  /**
   * Resolves once the consumer asks for more (or the body was closed); rejects when the handler
   * failed, so that a consumer that gave up never leaves the archive waiting.
   */
  private drained(body: NonNullable<TarReader['body']>): Promise<void> {
    const { stream } = body
    return new Promise((resolve, reject) => {
      const done = (): void => {
        stream.off('drain-request', done)
        stream.off('close', done)
        resolve()
      }
      stream.once('drain-request', done)
      stream.once('close', done)
      body.handled.catch((error: unknown) => {
        stream.off('drain-request', done)
        stream.off('close', done)
        reject(error instanceof Error ? error : new Error(String(error)))
      })
    })
  }

  private async onHeader(block: Buffer): Promise<void> {
    if (block.every((b) => b === 0)) {
      if (++this.zeroBlocks === 2) this.ended = true
      return
    }
    if (this.zeroBlocks > 0) throw new TarFormatError('a lone zero block in the middle of the archive')
    if (!checksumMatches(block)) throw new TarFormatError(`entry ${this.entries + 1}: header checksum mismatch (not a tar stream, or a damaged one)`)
    this.entries++
    const typeflag = String.fromCharCode(block[156] as number)
    const size = this.next.size ?? this.global.size ?? readNumber(block, 124, 12)
    const padding = (BLOCK - (size % BLOCK)) % BLOCK
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (size > 1024 * 1024) throw new TarFormatError(`a ${typeflag} header of ${size} bytes (more than any name needs)`)
      this.meta = { kind: typeflag, chunks: [], left: size, padding }
      if (size + padding === 0) {
        this.meta = undefined
        this.applyMeta(typeflag, Buffer.alloc(0))
      }
      return
    }
    const magic = block.subarray(257, 263).toString('latin1')
    // The name prefix exists in POSIX ustar only; GNU tar's "ustar  " header keeps other fields there.
    const prefix = magic === 'ustar\0' ? cString(block.subarray(345, 500)) : ''
    const rawName = this.next.path ?? this.global.path ?? (prefix ? `${prefix}/${cString(block.subarray(0, 100))}` : cString(block.subarray(0, 100)))
    const rawLink = this.next.linkPath ?? this.global.linkPath ?? cString(block.subarray(157, 257))
    this.next = {}
    const type: TarEntryType =
      typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'hardlink' : 'other'
    const entry: TarEntry = { path: cleanPath(rawName), type, size: type === 'file' ? size : 0, linkPath: type === 'hardlink' ? cleanPath(rawLink) : rawLink }
    // Only files carry data; any other entry's size field is skipped with its blocks.
    const dataSize = type === 'file' || type === 'other' ? size : 0
    const stream = new Readable({
      read() {
        this.emit('drain-request')
      }
    })
    const handled = Promise.resolve().then(() => this.handler(entry, stream))
    const ended = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve)
      stream.once('close', resolve)
      stream.once('error', reject)
    })
    // Observed from the start: a body destroyed with the archive must not become an unhandled rejection.
    ended.catch(() => undefined)
    // What the handler leaves unread is drained, so the archive can go on.
    const done = handled.then(() => {
      if (!stream.readableEnded && stream.readableFlowing !== true) stream.resume()
      return ended
    })
    done.catch(() => undefined)
    this.body = { stream, handled, left: dataSize, padding: dataSize === size ? padding : size + padding, done }
    if (dataSize === 0) stream.push(null)
    if (dataSize === 0 && this.body.padding === 0) {
      this.body = undefined
      await done
    }
  }
}

function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0)
  return buffer.subarray(0, end === -1 ? buffer.length : end).toString('utf8')
}

function cleanPath(name: string): string {
  let path = name
  while (path.startsWith('./')) path = path.slice(2)
  return path.replace(/\/+$/, '')
}

/** An octal field, or GNU's base-256 form for sizes over 8 GiB (high bit of the first byte set). */
function readNumber(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length)
  if (((field[0] as number) & 0x80) !== 0) {
    let value = (field[0] as number) & 0x7f
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] as number)
    return value
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`a numeric field holds ${JSON.stringify(text)}`)
  return parseInt(text, 8)
}

function checksumMatches(block: Buffer): boolean {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number)
  try {
    return readNumber(block, 148, 8) === sum
  } catch {
    return false
  }
}

/** `<length> <key>=<value>\n` records; path, linkpath and size are the ones that matter here. */
function parsePax(data: Buffer): PendingMeta {
  const meta: PendingMeta = {}
  let offset = 0
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset)
    if (space === -1) break
    const length = Number(data.subarray(offset, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length) throw new TarFormatError('a pax record with a bad length')
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8')
    offset += length
    const eq = record.indexOf('=')
    if (eq === -1) continue
    const key = record.slice(0, eq)
    const value = record.slice(eq + 1)
    if (key === 'path') meta.path = value
    else if (key === 'linkpath') meta.linkPath = value
    else if (key === 'size') meta.size = Number(value)
  }
  return meta
}
