// The pg_dump custom-format reader. A real PostgreSQL 15 header, and archives built here in the
// layout of pg_backup_archiver.c / pg_backup_custom.c for what this machine's pg_dump 15 cannot
// write (archive 1.16, zstd, extension configuration tables, INSERT-style data). Real pg_dump
// archives, counted over SSH, are in test/integration/backup-run/postgres.test.ts.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { devNull } from '../../../src/core/backup/pipeline.ts'
import { PgArchiveInspector } from '../../../src/core/backup/pg-archive.ts'

// The header (first 129 bytes) of a real `pg_dump -Fc` (PostgreSQL 15.18, Debian) of database "hdr".
const PG15_HEADER = Buffer.from(
  '5047444d50010e000408010101000000000f000000002300000000140000000018000000000a000000007e00000000000000000003000000686472001e00000031352e3138202844656269616e2031352e31382d302b6465623132753129001e00000031352e3138202844656269616e2031352e31382d302b6465623132753129',
  'hex'
)

const int = (n: number): Buffer => {
  const out = Buffer.alloc(5)
  out[0] = n < 0 ? 1 : 0
  out.writeUInt32LE(Math.abs(n), 1)
  return out
}
const str = (s: string | null): Buffer => (s === null ? int(-1) : Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s)]))

interface Entry {
  id: number
  desc: string
  namespace?: string
  tag: string
  copyStmt?: string
}

/** An archive as pg_dump 17/18 writes it to a pipe: WriteHead, WriteToc (1.16), then the data blocks. */
function archive(options: { minor?: number; algorithm?: number; entries: Entry[]; blocks: Buffer[] }): Buffer {
  const minor = options.minor ?? 16
  const head = [Buffer.from('PGDMP'), Buffer.from([1, minor, 0, 4, 8, 1, options.algorithm ?? 3]), ...Array.from({ length: 7 }, () => int(1)), str('db'), str('18.4'), str('18.4')]
  const toc = options.entries.flatMap((e) => [
    int(e.id),
    int(e.desc === 'TABLE DATA' || e.desc === 'BLOBS' ? 1 : 0),
    str('1259'),
    str(String(16_000 + e.id)),
    str(e.tag),
    str(e.desc),
    int(2),
    str(e.desc === 'TABLE' ? `CREATE TABLE ${e.tag} (x int);` : ''),
    str(''),
    str(e.copyStmt ?? ''),
    str(e.namespace ?? 'public'),
    str(''),
    str(e.desc === 'TABLE' ? 'heap' : null),
    int(e.desc === 'TABLE' ? 114 : 0),
    str('owner'),
    str('false'),
    str('1'),
    str(null),
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0])
  ])
  return Buffer.concat([...head, int(options.entries.length), ...toc, ...options.blocks])
}

/** One data block: type, dump id, the data in length-prefixed chunks of `chunk` bytes, then a zero length. */
function block(id: number, data: Buffer, chunk = 4096, type = 1): Buffer {
  const parts: Buffer[] = [Buffer.from([type]), int(id)]
  for (let at = 0; at < data.length; at += chunk) {
    const piece = data.subarray(at, at + chunk)
    parts.push(int(piece.length), piece)
  }
  parts.push(int(0))
  return Buffer.concat(parts)
}

const copyData = (rows: string[]): Buffer => Buffer.from(`${rows.map((r) => `${r}\n`).join('')}\\.\n\n\n`)
const zstd = (data: Buffer): Buffer => zlib.zstdCompressSync(data)

async function inspect(bytes: Buffer, options: { countRows?: boolean; chunk?: number } = {}): Promise<PgArchiveInspector> {
  const chunk = options.chunk ?? 64 * 1024
  const pieces: Buffer[] = []
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(bytes.subarray(at, at + chunk))
  const inspector = new PgArchiveInspector({ countRows: options.countRows ?? true })
  await pipeline(Readable.from(pieces), inspector, devNull())
  return inspector
}

const TABLES: Entry[] = [
  { id: 1, desc: 'TABLE', tag: 'items' },
  { id: 2, desc: 'TABLE', namespace: 'we "ird', tag: 'Odd\tName' },
  { id: 3, desc: 'TABLE', tag: 'empty' },
  { id: 4, desc: 'TABLE DATA', tag: 'items', copyStmt: 'COPY public.items (x) FROM stdin;\n' },
  { id: 5, desc: 'TABLE DATA', namespace: 'we "ird', tag: 'Odd\tName', copyStmt: 'COPY "we ""ird"."Odd\tName" (x) FROM stdin;\n' },
  { id: 6, desc: 'TABLE DATA', tag: 'empty', copyStmt: 'COPY public.empty (x) FROM stdin;\n' },
  // An extension's configuration table: data, but no TABLE entry (CREATE EXTENSION makes it).
  { id: 7, desc: 'TABLE DATA', tag: 'spatial_ref_sys', copyStmt: 'COPY public.spatial_ref_sys (x) FROM stdin;\n' },
  { id: 8, desc: 'BLOBS', tag: 'BLOBS' }
]

function sampleArchive(compress: (data: Buffer) => Buffer = zstd, algorithm = 3): Buffer {
  const items = copyData(Array.from({ length: 2500 }, (_, i) => `${i}\tline\\nwith escaped newline and a tab\\t and \\\\. too`))
  const blobs = Buffer.concat([Buffer.from([3]), int(8), int(16_417), block(0, compress(Buffer.from('\n\n\n\n'))).subarray(6), int(0)])
  return archive({
    algorithm,
    entries: TABLES,
    blocks: [block(4, compress(items), 1000), block(5, compress(copyData(['1', '2', '3']))), block(6, compress(copyData([]))), block(7, compress(copyData(['a', 'b']))), blobs]
  })
}

describe('PgArchiveInspector', () => {
  it('reads the header of a real PostgreSQL 15 archive and passes every byte through', async () => {
    const inspector = await inspect(PG15_HEADER, { countRows: false })
    expect(inspector.header).toEqual({
      archiveVersion: '1.14.0',
      compression: 'gzip',
      database: 'hdr',
      serverVersion: '15.18 (Debian 15.18-0+deb12u1)',
      pgDumpVersion: '15.18 (Debian 15.18-0+deb12u1)'
    })
    expect(inspector.rowCounts).toEqual({ counted: false, reason: 'row counting is off (row-counts: false)' })
    const out: Buffer[] = []
    const passing = new PgArchiveInspector({ countRows: false })
    passing.on('data', (chunk: Buffer) => out.push(chunk))
    await pipeline(Readable.from([PG15_HEADER.subarray(0, 7), PG15_HEADER.subarray(7)]), passing)
    expect(Buffer.concat(out).equals(PG15_HEADER)).toBe(true)
  })

  it('counts the rows of every table from the 1.16 layout with zstd data, whatever the chunking', async () => {
    const bytes = sampleArchive()
    const expected = [
      { schema: 'public', name: 'empty', rows: 0 },
      { schema: 'public', name: 'items', rows: 2500 },
      { schema: 'we "ird', name: 'Odd\tName', rows: 3 }
    ]
    for (const chunk of [1, 7, 4096, bytes.length]) {
      const inspector = await inspect(bytes, { chunk })
      expect(inspector.rowCounts, `chunks of ${chunk}`).toEqual({ counted: true, tables: expected })
      expect(inspector.header).toMatchObject({ archiveVersion: '1.16.0', compression: 'zstd', pgDumpVersion: '18.4' })
    }
  })

  it('reads gzip (zlib) and uncompressed data blocks', async () => {
    const gzip = await inspect(sampleArchive((data) => zlib.deflateSync(data), 1))
    expect(gzip.header?.compression).toBe('gzip')
    expect(gzip.rowCounts).toMatchObject({ counted: true, tables: expect.arrayContaining([{ schema: 'public', name: 'items', rows: 2500 }]) })
    const none = await inspect(sampleArchive((data) => data, 0))
    expect(none.rowCounts).toMatchObject({ counted: true, tables: expect.arrayContaining([{ schema: 'public', name: 'items', rows: 2500 }]) })
  })

  it('does not count INSERT-style data, which is not one row per line', async () => {
    const inserts = archive({
      entries: [{ id: 1, desc: 'TABLE', tag: 't' }, { id: 2, desc: 'TABLE DATA', tag: 't' }],
      blocks: [block(2, zstd(Buffer.from('INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n')))]
    })
    expect((await inspect(inserts)).rowCounts).toEqual({ counted: true, tables: [] })
  })

  it('fails the stream when it is not an archive, showing how it starts', async () => {
    await expect(inspect(Buffer.from(' !     Postgres service db does not exist\n'))).rejects.toThrow(/did not produce a pg_dump custom-format archive .*Postgres service db/)
    await expect(inspect(Buffer.from('PGD'))).rejects.toThrow(/did not produce a pg_dump custom-format archive/)
    await expect(inspect(PG15_HEADER.subarray(0, 40))).rejects.toThrow(/header is cut short/)
    const directory = Buffer.from(PG15_HEADER)
    directory[10] = 3
    await expect(inspect(directory)).rejects.toThrow(/not in custom format \(format 3\)/)
  })

  it('keeps the backup but gives no counts for what it cannot read, with the reason', async () => {
    const cut = sampleArchive()
    expect((await inspect(cut.subarray(0, cut.length - 200))).rowCounts).toEqual({ counted: false, reason: 'the archive ends before its last data block' })
    expect((await inspect(archive({ minor: 17, entries: [], blocks: [] }))).rowCounts).toMatchObject({ counted: false, reason: expect.stringMatching(/archive version 1\.17\.0 is outside/) })
    expect((await inspect(archive({ algorithm: 2, entries: [], blocks: [] }))).rowCounts).toMatchObject({ counted: false, reason: expect.stringMatching(/compressed the data with lz4/) })

    const corrupt = archive({ entries: TABLES.slice(0, 4), blocks: [block(4, Buffer.from('not a zstd frame at all'))] })
    const inspector = await inspect(corrupt)
    expect(inspector.rowCounts).toMatchObject({ counted: false, reason: expect.stringMatching(/could not be read/) })

    const noEnd = archive({ entries: TABLES.slice(0, 4), blocks: [block(4, zstd(Buffer.from('1\n2\n')))] })
    expect((await inspect(noEnd)).rowCounts).toMatchObject({ counted: false, reason: expect.stringMatching(/end-of-data marker/) })
  })
})

describe('PgArchiveInspector torn down mid-archive', () => {
  it('stops reading and says the archive was cut short', async () => {
    const bytes = sampleArchive()
    const inspector = new PgArchiveInspector({ countRows: true })
    const failed = new Promise((resolve) => inspector.once('error', resolve))
    inspector.resume()
    await new Promise<void>((resolve) => inspector.write(bytes.subarray(0, 3000), () => resolve()))
    expect(inspector.rowCounts).toEqual({ counted: false, reason: 'the archive was not read to its end' })
    inspector.destroy(new Error('the upload failed'))
    expect(await failed).toMatchObject({ message: 'the upload failed' })
    await expect.poll(() => inspector.rowCounts).toEqual({ counted: false, reason: 'the archive ends before its last data block' })
  })
})
