// Pure parts of the backup format: key layout, manifest checks, psql/redis parsing.
import { describe, expect, it } from 'vitest'
import { checkRdbHeader, compareTableCounts, parseRedisInfo, parseRelationCount, parseRowCounts, rowCountScript } from '../../../src/core/backup/databases.ts'
import { backupId, bucketObjectKey, dataKey, manifestKey, normalizePrefix, parseBackupId, parseBucketObjectKey, parseKey, parseSourceRef } from '../../../src/core/backup/keys.ts'
import { MANIFEST_FORMAT, parseManifest, serializeManifest, type Manifest } from '../../../src/core/backup/manifest.ts'

describe('keys', () => {
  const source = { kind: 'postgres' as const, name: 'db' }
  it('names backups by UTC start time, sortable as text, and reads them back', () => {
    const id = backupId(new Date('2026-11-24T02:00:00.123Z'))
    expect(id).toBe('20261124T020000.123Z')
    expect(parseBackupId(id)?.toISOString()).toBe('2026-11-24T02:00:00.123Z')
    expect(parseBackupId('20261324T020000.123Z')).toBeUndefined()
    expect(parseBackupId('latest')).toBeUndefined()
    expect(backupId(new Date('2026-01-02T00:00:00Z')) < backupId(new Date('2026-01-10T00:00:00Z'))).toBe(true)
    expect(dataKey('dokku-stack/', source, id, 'db.dump.zst.age')).toBe('dokku-stack/postgres/db/20261124T020000.123Z/db.dump.zst.age')
    expect(manifestKey('backups/prod', source, id)).toBe('backups/prod/postgres/db/20261124T020000.123Z/manifest.json')
    expect(parseKey('dokku-stack/', 'dokku-stack/postgres/db/20261124T020000.123Z/manifest.json')).toEqual({ source, id, file: 'manifest.json' })
  })

  it('ignores every key it did not lay out', () => {
    for (const key of ['other/postgres/db/20261124T020000.123Z/x', 'dokku-stack/postgres/db/notatime/x', 'dokku-stack/mysql/db/20261124T020000.123Z/x', 'dokku-stack/postgres/db/20261124T020000.123Z/a/b', 'dokku-stack/bucket-objects/u/ab/abcd'])
      expect(parseKey('dokku-stack/', key), key).toBeUndefined()
  })

  it('reads back the mirrored objects it laid out, and no other key under their prefix', () => {
    const hash = 'ab'.padEnd(64, '0')
    const key = bucketObjectKey('dokku-stack', 'uploads', hash)
    expect(key).toBe(`dokku-stack/bucket-objects/uploads/ab/${hash}`)
    expect(parseBucketObjectKey('dokku-stack/', 'uploads', key)).toBe(hash)
    for (const foreign of [`dokku-stack/bucket-objects/uploads/cd/${hash}`, `dokku-stack/bucket-objects/uploads/${hash}`, 'dokku-stack/bucket-objects/uploads/ab/', `dokku-stack/bucket-objects/other/ab/${hash}`])
      expect(parseBucketObjectKey('dokku-stack/', 'uploads', foreign), foreign).toBeUndefined()
  })

  it('normalizes prefixes and parses source lines', () => {
    expect(normalizePrefix('')).toBe('')
    expect(normalizePrefix('/a/b')).toBe('a/b/')
    expect(parseSourceRef('postgres:db')).toEqual({ kind: 'postgres', name: 'db' })
    expect(parseSourceRef('mysql:db')).toBeUndefined()
  })
})

describe('manifest', () => {
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    id: '20261124T020000.123Z',
    source: { kind: 'postgres', name: 'db' },
    startedAt: '2026-11-24T02:00:00.123Z',
    completedAt: '2026-11-24T02:01:00.000Z',
    object: {
      key: 'k',
      content: 'pg_dump-custom',
      plaintextBytes: 10,
      plaintextSha256: 'a'.repeat(64),
      storedBytes: 5,
      storedSha256: 'b'.repeat(64),
      parts: 0,
      compression: 'zstd',
      encryption: { kind: 'age-recipients', recipients: ['age1x'] }
    },
    tools: {},
    timings: {}
  }

  it('round-trips and rejects what is not one', () => {
    expect(parseManifest(serializeManifest(manifest), 'k')).toEqual(manifest)
    expect(() => parseManifest('{', 'm')).toThrow(/m is not valid JSON/)
    expect(() => parseManifest(JSON.stringify({ ...manifest, format: 'x' }), 'm')).toThrow(/format is "x"/)
    expect(() => parseManifest(JSON.stringify({ ...manifest, object: { ...manifest.object, storedSha256: 'nope' } }), 'm')).toThrow(/checksums missing/)
    expect(() => parseManifest(JSON.stringify({ ...manifest, object: { ...manifest.object, compression: 'lzma' } }), 'm')).toThrow(/unknown compression lzma/)
  })
})

describe('row counts and redis info', () => {
  it('parses marked psql lines and ignores psql chatter', () => {
    const out = ['Output format is unaligned.', 'BEGIN', 'dokku-stack-version\t15.18 (Debian)', 'dokku-stack-table\t"public"\t"Odd\\tName"\t3', 'dokku-stack-table\t"audit"\t"log"\t1234', 'COMMIT', ''].join('\n')
    expect(parseRowCounts(out)).toEqual({ serverVersion: '15.18 (Debian)', tables: [{ schema: 'public', name: 'Odd\tName', rows: 3 }, { schema: 'audit', name: 'log', rows: 1234 }] })
    expect(rowCountScript()).toContain('REPEATABLE READ READ ONLY')
    expect(parseRelationCount('Tuples only is on.\ndokku-stack-relations\t4\n')).toBe(4)
    expect(() => parseRelationCount('ERROR: x')).toThrow(/did not answer/)
  })

  it('compares counts table by table', () => {
    const a = [{ schema: 'public', name: 't', rows: 3 }, { schema: 'public', name: 'u', rows: 1 }]
    expect(compareTableCounts(a, a)).toEqual([])
    expect(compareTableCounts(a, [{ schema: 'public', name: 't', rows: 2 }, { schema: 'public', name: 'v', rows: 0 }])).toEqual([
      'public.t: 2 rows after restore, 3 in the backup',
      'public.u: missing after restore (backup has 1 rows)',
      'public.v: present after restore but not in the backup\'s counts'
    ])
  })

  it('reads redis INFO and checks the RDB magic', () => {
    expect(parseRedisInfo('# Server\r\nredis_version:7.0.15\r\n# Keyspace\r\ndb0:keys=51,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=1,avg_ttl=5\r\n')).toEqual({ version: '7.0.15', keyspace: { db0: 51, db3: 2 } })
    expect(checkRdbHeader(Buffer.from('REDIS0011\xfa', 'latin1'))).toBe('0011')
    expect(() => checkRdbHeader(Buffer.from('Error response from daemon'))).toThrow(/did not produce an RDB snapshot/)
  })
})
