// The pg_dump custom-format archive, read as it streams past on its way to the bucket: the header
// (versions, pg_dump's own compression), the table of contents, and the rows in each table's data.
// Layout from PostgreSQL's pg_backup_archiver.c (WriteHead, WriteToc) and pg_backup_custom.c
// (_StartData, _CustomWriteFunc, _EndData, the LO blocks), archive versions 1.12 (PostgreSQL 11)
// to 1.16 (17 and 18). Written to a pipe (as `postgres:export` does), the archive is: header, TOC
// with no data offsets, then one block per TABLE DATA / BLOBS entry, in order, to the end.
//
// Counting here rather than with `count(*)` on the host: the counts describe exactly the rows in
// this archive (pg_dump's own snapshot), and the database server does no second read of every
// table. The cost is inflating pg_dump's gzip on the runner, on libuv's thread pool.
import { once } from 'node:events'
import { Transform, type TransformCallback } from 'node:stream'
import zlib from 'node:zlib'
import type { TableCount } from './manifest.js'

export interface PgDumpHeader {
  /** Archive format version, e.g. `1.14.0` (PostgreSQL 15) or `1.16.0` (17+). */
  archiveVersion: string
  /** pg_dump's own compression of the table data: `gzip` (-Fc default), `none`, `lz4`, `zstd`. */
  compression: string
  database: string
  serverVersion: string
  pgDumpVersion: string
}

/** What reading the archive found out about its rows. */
export type RowCountResult = { counted: true; tables: TableCount[] } | { counted: false; reason: string }

/** MAKE_ARCHIVE_VERSION. */
const version = (major: number, minor: number, rev = 0): number => (major * 256 + minor) * 256 + rev
const V1_10 = version(1, 10)
const V1_12 = version(1, 12)
const V1_14 = version(1, 14)
const V1_15 = version(1, 15)
const V1_16 = version(1, 16)
/** The newest layout this reader knows; pg_restore 18 reads up to 1.16.255 too. */
const NEWEST = version(1, 16, 255)
const BLK_DATA = 1
const BLK_BLOBS = 3
const PG_COMPRESSION = ['none', 'gzip', 'lz4', 'zstd']
/** Archive bytes the stream may run ahead of the reader. */
const READ_AHEAD = 8 * 1024 * 1024
/** Decompressed output per callback: fewer, larger ones cost far less (measured: 1 MiB is ~3× cheaper than 16 KiB). */
const INFLATE_CHUNK = 1024 * 1024
/** Compressed bytes gathered per write to the inflater. */
const INFLATE_BATCH = 128 * 1024

/** Thrown inside the reader when the archive is cut short; the export's own exit status says why. */
class EndOfArchive extends Error {}

/**
 * Bytes as they arrive, read by one async consumer. `push` resolves at once while less than
 * `highWater` bytes wait to be read, so the stream flows on while the reader decompresses beside
 * it; past that, once the reader has caught up (or stopped reading): memory stays bounded.
 */
class ByteQueue {
  private chunks: Buffer[] = []
  private offset = 0
  private length = 0
  private ended = false
  private stopped = false
  private wake: (() => void) | undefined
  private caughtUp: (() => void) | undefined
  private readonly highWater: number

  constructor(highWater: number) {
    this.highWater = highWater
  }

  push(chunk: Buffer): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.chunks.push(chunk)
    this.length += chunk.length
    this.notify()
    if (this.length <= this.highWater) return Promise.resolve()
    return new Promise<void>((resolve) => (this.caughtUp = resolve))
  }

  end(): void {
    this.ended = true
    this.notify()
  }

  /** The reader is done (finished or gave up): everything pushed from now on passes straight through. */
  stop(): void {
    this.stopped = true
    this.chunks = []
    this.length = 0
    this.release()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private release(): void {
    const caughtUp = this.caughtUp
    this.caughtUp = undefined
    caughtUp?.()
  }

  /** Waits until `n` bytes are buffered; throws at the end of the stream. */
  async need(n: number): Promise<void> {
    while (this.length < n) {
      if (this.ended) throw new EndOfArchive('the archive ends early')
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  /** Up to `max` bytes (at least one), without copying when they lie in one chunk. */
  async some(max: number): Promise<Buffer> {
    await this.need(1)
    const first = this.chunks[0] as Buffer
    const size = Math.min(max, first.length - this.offset)
    const out = first.subarray(this.offset, this.offset + size)
    this.consume(size)
    return out
  }

  async take(n: number): Promise<Buffer> {
    await this.need(n)
    const first = this.chunks[0] as Buffer
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.consume(n)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const part = await this.some(n - filled)
      part.copy(out, filled)
      filled += part.length
    }
    return out
  }

  /** Bytes at the front without consuming them (for the "is this an archive at all" check). */
  peek(max: number): Buffer {
    return Buffer.concat(this.chunks).subarray(this.offset, this.offset + max)
  }

  private consume(n: number): void {
    this.offset += n
    this.length -= n
    while (this.chunks.length > 0 && this.offset >= (this.chunks[0] as Buffer).length) {
      this.offset -= (this.chunks.shift() as Buffer).length
    }
    if (this.length <= this.highWater) this.release()
  }
}

/** The archive's integer and string encodings (ReadInt, ReadStr, ReadOffset). */
class ArchiveReader {
  readonly bytes: ByteQueue
  /** From the header, as MAKE_ARCHIVE_VERSION encodes it. */
  version = 0
  intSize = 4
  offSize = 8

  constructor(bytes: ByteQueue) {
    this.bytes = bytes
  }

  async byte(): Promise<number> {
    return (await this.bytes.take(1))[0] as number
  }

  async int(): Promise<number> {
    const raw = await this.bytes.take(1 + this.intSize)
    let value = 0
    for (let i = 0; i < this.intSize; i++) value += (raw[1 + i] as number) * 2 ** (8 * i)
    return raw[0] === 0 ? value : -value
  }

  /** A string, or null for a NULL one (negative length). */
  async str(): Promise<string | null> {
    const length = await this.int()
    if (length < 0) return null
    if (length > 256 * 1024 * 1024) throw new Error(`a TOC string claims ${length} bytes`)
    return length === 0 ? '' : (await this.bytes.take(length)).toString('utf8')
  }

  async offset(): Promise<void> {
    await this.bytes.take(1 + this.offSize)
  }
}

interface TocEntry {
  dumpId: number
  desc: string
  namespace: string
  tag: string
  copyStmt: string
}

/**
 * A pass-through stream that reads the pg_dump custom-format archive flowing through it: the header
 * always (a stream that is not an archive fails the stream, so the upload is aborted and nothing is
 * stored), and with `countRows` the rows of every table's data. Counting never fails the stream: an
 * archive this reader does not know only leaves `rowCounts` with the reason.
 */
export class PgArchiveInspector extends Transform {
  header: PgDumpHeader | undefined
  private countResult: RowCountResult
  private readonly bytes = new ByteQueue(READ_AHEAD)
  private readonly reading: Promise<void>
  private headerFailure: Error | undefined

  constructor(options: { countRows: boolean }) {
    super()
    this.countResult = { counted: false, reason: options.countRows ? 'the archive was not read to its end' : 'row counting is off (row-counts: false)' }
    this.reading = this.readArchive(options.countRows).finally(() => this.bytes.stop())
  }

  get rowCounts(): RowCountResult {
    return this.countResult
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes.push(chunk).then(() => callback(this.headerFailure ?? null, chunk))
  }

  override _flush(callback: TransformCallback): void {
    this.bytes.end()
    this.reading.then(() => callback(this.headerFailure ?? null))
  }

  /** A pipeline torn down elsewhere ends the reader too, and with it any inflater it holds. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.bytes.end()
    callback(error)
  }

  private async readArchive(countRows: boolean): Promise<void> {
    const reader = new ArchiveReader(this.bytes)
    try {
      this.header = await readHeader(reader)
    } catch (error) {
      this.headerFailure = error as Error
      return
    }
    if (!countRows) return
    try {
      this.countResult = await countRowsIn(reader, this.header)
    } catch (error) {
      this.countResult = { counted: false, reason: error instanceof EndOfArchive ? 'the archive ends before its last data block' : `the archive could not be read: ${(error as Error).message}` }
    }
  }
}

function notAnArchive(head: Buffer): Error {
  return new Error(`postgres:export did not produce a pg_dump custom-format archive (it starts with ${JSON.stringify(head.toString('utf8'))})`)
}

async function readHeader(reader: ArchiveReader): Promise<PgDumpHeader> {
  try {
    await reader.bytes.need(5)
  } catch (error) {
    throw error instanceof EndOfArchive ? notAnArchive(reader.bytes.peek(60)) : error
  }
  if (reader.bytes.peek(5).toString('latin1') !== 'PGDMP') throw notAnArchive(reader.bytes.peek(60))
  await reader.bytes.take(5)
  try {
    return await readHeaderFields(reader)
  } catch (error) {
    throw error instanceof EndOfArchive ? new Error('the pg_dump archive header is cut short') : error
  }
}

async function readHeaderFields(reader: ArchiveReader): Promise<PgDumpHeader> {
  const [major, minor, rev] = [await reader.byte(), await reader.byte(), await reader.byte()]
  const archiveVersion = version(major, minor, rev)
  reader.version = archiveVersion
  reader.intSize = await reader.byte()
  reader.offSize = await reader.byte()
  if (reader.intSize < 1 || reader.intSize > 8 || reader.offSize < 1 || reader.offSize > 8) throw new Error(`the pg_dump archive header has integer size ${reader.intSize}`)
  const format = await reader.byte()
  if (format !== 1) throw new Error(`the pg_dump archive is not in custom format (format ${format})`)
  let compression: string
  if (archiveVersion >= V1_15) compression = PG_COMPRESSION[await reader.byte()] ?? 'unknown'
  else {
    const level = await reader.int()
    compression = level === 0 ? 'none' : level === -1 ? 'gzip' : `gzip level ${level}`
  }
  for (let i = 0; i < 7; i++) await reader.int() // creation time
  const database = (await reader.str()) ?? ''
  const serverVersion = archiveVersion >= V1_10 ? ((await reader.str()) ?? '') : ''
  const pgDumpVersion = archiveVersion >= V1_10 ? ((await reader.str()) ?? '') : ''
  return { archiveVersion: `${major}.${minor}.${rev}`, compression, database, serverVersion, pgDumpVersion }
}

async function countRowsIn(reader: ArchiveReader, header: PgDumpHeader): Promise<RowCountResult> {
  const v = reader.version
  if (v < V1_12 || v > NEWEST) return { counted: false, reason: `archive version ${header.archiveVersion} is outside the versions this reader knows (1.12–1.16)` }
  const decompress = decompressorFor(header.compression)
  if (!decompress) return { counted: false, reason: `pg_dump compressed the data with ${header.compression}, which this reader cannot decompress` }

  const entries = new Map<number, TocEntry>()
  const tables = new Set<string>()
  const tocCount = await reader.int()
  for (let i = 0; i < tocCount; i++) {
    const entry = await readTocEntry(reader, v)
    entries.set(entry.dumpId, entry)
    if (entry.desc === 'TABLE') tables.add(tableKey(entry.namespace, entry.tag))
  }

  const counts = new Map<number, number>()
  for (;;) {
    let type: number
    try {
      type = await reader.byte()
    } catch (error) {
      if (error instanceof EndOfArchive) break
      throw error
    }
    const dumpId = await reader.int()
    if (type === BLK_DATA) {
      const entry = entries.get(dumpId)
      // Only COPY data is one row per line; anything else (INSERT statements) is not counted.
      const counting = entry?.desc === 'TABLE DATA' && entry.copyStmt.startsWith('COPY ')
      const rows = await readDataBlock(reader, counting ? decompress : undefined)
      if (counting) counts.set(dumpId, rows)
    } else if (type === BLK_BLOBS) {
      while ((await reader.int()) !== 0) await readDataBlock(reader, undefined)
    } else throw new Error(`unknown data block type ${type}`)
  }

  const result: TableCount[] = []
  for (const [dumpId, rows] of counts) {
    const entry = entries.get(dumpId) as TocEntry
    // TABLE DATA without a TABLE entry belongs to an extension's configuration table: CREATE
    // EXTENSION makes the table, so restores (and the row counts taken after them) leave it out.
    if (tables.has(tableKey(entry.namespace, entry.tag))) result.push({ schema: entry.namespace, name: entry.tag, rows })
  }
  result.sort((a, b) => (a.schema === b.schema ? compareText(a.name, b.name) : compareText(a.schema, b.schema)))
  return { counted: true, tables: result }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function tableKey(namespace: string, tag: string): string {
  return `${namespace}\u0000${tag}`
}

async function readTocEntry(reader: ArchiveReader, v: number): Promise<TocEntry> {
  const dumpId = await reader.int()
  await reader.int() // hadDumper
  await reader.str() // tableoid
  await reader.str() // oid
  const tag = (await reader.str()) ?? ''
  const desc = (await reader.str()) ?? ''
  await reader.int() // section
  await reader.str() // defn
  await reader.str() // dropStmt
  const copyStmt = (await reader.str()) ?? ''
  const namespace = (await reader.str()) ?? ''
  await reader.str() // tablespace
  if (v >= V1_14) await reader.str() // tableam
  if (v >= V1_16) await reader.int() // relkind
  await reader.str() // owner
  await reader.str() // "false": WITH OIDS
  // Dependencies, ended by a NULL string.
  for (let dependency = await reader.str(); dependency !== null; dependency = await reader.str());
  await reader.offset() // custom format: data position (unset when written to a pipe)
  return { dumpId, desc, namespace, tag, copyStmt }
}

type Decompressor = () => Transform | undefined

function decompressorFor(compression: string): Decompressor | undefined {
  if (compression === 'none') return () => undefined
  // Every data block is one zlib (not gzip) stream: deflateInit in compress_gzip.c / compress_io.c.
  const options = { chunkSize: INFLATE_CHUNK, writableHighWaterMark: INFLATE_CHUNK }
  if (compression === 'gzip' || compression.startsWith('gzip level')) return () => zlib.createInflate(options)
  if (compression === 'zstd') return () => zlib.createZstdDecompress(options)
  return undefined
}

/** What pg_dump writes after a table's COPY data (dumpTableData_copy), in every version. */
const COPY_END = Buffer.from('\\.\n\n\n', 'latin1')

/**
 * One data block: length-prefixed chunks ending with a zero length. With `decompress`, the data is
 * decompressed and its rows counted: COPY text escapes newlines inside values, so every '\n' ends
 * a row, and the block ends with the end-of-data line and two blank ones. Without, it is skipped.
 */
async function readDataBlock(reader: ArchiveReader, decompress: Decompressor | undefined): Promise<number> {
  let newlines = 0
  let tail: Buffer = Buffer.alloc(0)
  const count = (data: Buffer): void => {
    for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) newlines++
    tail = data.length >= COPY_END.length ? data.subarray(data.length - COPY_END.length) : Buffer.concat([tail, data]).subarray(-COPY_END.length)
  }
  const inflater = decompress?.()
  // Observed now: a corrupt block errors the inflater while this still reads, and the error must
  // surface here (from `drain` or `end`), never as an unhandled rejection.
  const inflated = inflater ? once(inflater, 'end') : undefined
  inflated?.catch(() => undefined)
  inflater?.on('data', count)
  // pg_dump writes ~4 KiB chunks; each write to the inflater is a trip to the thread pool and back,
  // so they are gathered into larger writes.
  let batch: Buffer[] = []
  let batched = 0
  const flush = async (): Promise<void> => {
    if (!inflater || batched === 0) return
    const data = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched)
    batch = []
    batched = 0
    if (!inflater.write(data)) await once(inflater, 'drain')
  }
  try {
    for (let length = await reader.int(); length !== 0; length = await reader.int()) {
      if (length < 0) throw new Error(`a data chunk has length ${length}`)
      for (let left = length; left > 0; ) {
        const part = await reader.bytes.some(left)
        left -= part.length
        if (!decompress) continue
        if (!inflater) count(part)
        else {
          batch.push(part)
          batched += part.length
          if (batched >= INFLATE_BATCH) await flush()
        }
      }
    }
    if (inflater) {
      await flush()
      inflater.end()
      await inflated
    }
  } finally {
    inflater?.destroy()
  }
  if (!decompress) return 0
  if (!tail.equals(COPY_END)) throw new Error("a table's data does not end with COPY's end-of-data marker")
  return newlines - 3
}
