// backup-run against the sandbox host: a real pg_dump over real SSH into the real S3 server, then
// restored into a new service with the real pg_restore, and compared with pg_dump.
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { GetObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseRowCounts, rowCountScript } from '../../../src/core/backup/databases.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { runWithReport } from '../../../src/actions/backup-run/main.ts'
import { argvLogPath, readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { ageKeys, createBucket, directS3, dokku, plainDump, psql, reader, sandbox, stepInputs, unique, type AgeKeys } from './helpers.ts'

let keys: AgeKeys
const bucket = unique('pg-backups')
const service = unique('pgsrc').replace(/-/g, '_')

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  const url = await sandbox().realPostgresUrl(service)
  await psql(
    url,
    `create table items (id serial primary key, name text not null, price numeric(10,2));
     insert into items (name, price) select 'item ' || g, g * 1.5 from generate_series(1, 5000) g;
     create table "Odd Name" (x int); insert into "Odd Name" values (1), (2), (3);
     create schema audit; create table audit.log (at timestamptz default now(), what text);
     insert into audit.log (what) select md5(g::text) from generate_series(1, 1234) g;
     create table notes (body text, raw bytea);
     insert into notes select E'two\nlines, a tab\there, a backslash \\\\ and\n\\\\.\n' || g, decode('0a5c2e0a', 'hex') from generate_series(1, 77) g;
     create table empty_one (x int);
     create unlogged table scratch (x int); insert into scratch select generate_series(1, 11);
     create table events (at date not null, what text) partition by range (at);
     create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
     create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
     insert into events select date '2025-06-01' + g, 'e' from generate_series(1, 400) g;
     select lo_from_bytea(0, '\x0a0a0a0a'::bytea);`
  )
})

function inputs(extra: Record<string, string>) {
  return reader(stepInputs(bucket, keys, extra))
}

describe('postgres backup and restore', () => {
  it('backs up, writes the manifest last with row counts and versions, and restores into a new service with the same pg_dump', async () => {
    const logger = new RecordingLogger()
    const report = await runWithReport(inputs({ mode: 'backup', sources: `postgres:${service}` }), logger, { progressIntervalMs: 50 })
    const [result] = report.results
    expect(result).toMatchObject({ source: `postgres:${service}`, outcome: 'backed up' })
    expect(result?.detail).toMatch(/ stored \(\d+% of [\d.]+ KiB\); 8 tables, 6725 rows$/)
    expect(result?.key).toMatch(new RegExp(`^dokku-stack/postgres/${service}/\\d{8}T\\d{6}\\.\\d{3}Z/${service}\\.dump\\.zst\\.age$`))

    const s3 = directS3()
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `dokku-stack/postgres/${service}/` }))
    const names = (listed.Contents ?? []).map((o) => o.Key?.split('/').pop())
    expect(names.sort()).toEqual(['manifest.json', `${service}.dump.zst.age`].sort())
    const manifestKey = (listed.Contents ?? []).find((o) => o.Key?.endsWith('manifest.json'))?.Key as string
    const manifest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }))).Body!.transformToString())
    // Counted from the archive as it streamed; the database's own count(*) agrees, table for table
    // (values with newlines, an empty table, an unlogged one, partitions, a large object beside).
    expect(manifest.database.tables).toEqual([
      { schema: 'audit', name: 'log', rows: 1234 },
      { schema: 'public', name: 'Odd Name', rows: 3 },
      { schema: 'public', name: 'empty_one', rows: 0 },
      { schema: 'public', name: 'events_2025', rows: 213 },
      { schema: 'public', name: 'events_2026', rows: 187 },
      { schema: 'public', name: 'items', rows: 5000 },
      { schema: 'public', name: 'notes', rows: 77 },
      { schema: 'public', name: 'scratch', rows: 11 }
    ])
    const counted = await dokku(`postgres:connect ${service}`, rowCountScript())
    expect(parseRowCounts(counted.stdout).tables).toEqual(manifest.database.tables)
    expect(manifest.database.dump).toMatchObject({ compression: 'gzip', pgDumpVersion: expect.stringMatching(/^15\./) })
    expect(manifest.database.serverVersion).toMatch(/^15\./)
    expect(manifest.object).toMatchObject({ compression: 'zstd', encryption: { kind: 'age-recipients', recipients: [keys.recipient] } })
    expect(manifest.object.storedSha256).toMatch(/^[0-9a-f]{64}$/)

    // The stored object is a standard age file: Debian's age decrypts it.
    const stored = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifest.object.key }))).Body!.transformToByteArray())
    s3.destroy()
    const decrypted = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile('sh', ['-c', `age -d -i /dev/fd/3 3<<EOF\n${keys.identity}\nEOF`], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)))
      child.stdin?.end(stored)
    })
    // …into a zstd frame (magic 28 b5 2f fd) that Debian's zstd turns back into the pg_dump archive.
    expect(decrypted.subarray(0, 4).toString('hex')).toBe('28b52ffd')
    const dump = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile('zstd', ['-dc'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)))
      child.stdin?.end(decrypted)
    })
    expect(dump.length).toBe(manifest.object.plaintextBytes)
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP')

    const target = `${service}_restored`
    const restored = await runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, target: `postgres:${target}`, 'age-identity': keys.identity }), logger)
    expect(restored.results[0]).toMatchObject({ outcome: 'restored', detail: expect.stringContaining('row counts match the backup') })
    const [a, b] = await Promise.all([plainDump(await sandbox().realPostgresUrl(service)), plainDump(await sandbox().realPostgresUrl(target))])
    expect(b).toBe(a)
    expect(a).toContain('CREATE TABLE public.items')
    expect(logger.text()).toMatch(/read, .* transferred|manifest .* written/)
  })

  it('refuses to restore into a service that holds data unless overwrite is true', async () => {
    const logger = new RecordingLogger()
    await expect(runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, 'age-identity': keys.identity }), logger)).rejects.toThrow(
      /already holds data \(\d+ relations\).*overwrite: true/s
    )
    const url = await sandbox().realPostgresUrl(service)
    await psql(url, 'insert into items (name) values (\'after the backup\')')
    const report = await runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, overwrite: 'true', 'age-identity': keys.identity }), logger)
    expect(report.results[0]?.outcome).toBe('restored')
    expect((await psql(url, 'select count(*) from items')).trim()).toBe('5000')
  })

  it('drills: restores the newest backup into a scratch service, compares row counts, destroys it and reports the recovery point age', async () => {
    const logger = new RecordingLogger()
    const report = await runWithReport(inputs({ mode: 'verify', drill: 'true', sources: `postgres:${service}`, 'age-identity': keys.identity }), logger)
    expect(report.results[0]).toMatchObject({ outcome: 'drilled', detail: expect.stringMatching(/stored and plaintext SHA-256 match; drill: .*row counts match the backup/) })
    expect(report.results[0]?.ageSeconds).toBeGreaterThanOrEqual(0)
    expect(logger.text()).toMatch(/Destroyed the scratch service postgres:.*-drill-/)
    const list = await dokku('--quiet postgres:list')
    expect(list.stdout).not.toMatch(/-drill-/)
  })

  it('finds a flipped byte: verify fails and restore refuses, leaving the target untouched', async () => {
    const logger = new RecordingLogger()
    const backup = await runWithReport(inputs({ mode: 'backup', sources: `postgres:${service}` }), logger)
    const key = backup.results[0]?.key as string
    const s3 = directS3()
    const bytes = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray())
    const middle = Math.floor(bytes.length / 2)
    bytes[middle] = (bytes[middle] as number) ^ 0x01
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }))
    s3.destroy()

    await expect(runWithReport(inputs({ mode: 'verify', sources: `postgres:${service}` }), logger)).rejects.toThrow(/Checksum mismatch: stored object .* SHA-256/)
    await expect(runWithReport(inputs({ mode: 'verify', sources: `postgres:${service}`, 'age-identity': keys.identity }), logger)).rejects.toThrow(/Checksum mismatch/)

    const target = `${service}_untouched`
    expect((await dokku(`postgres:create ${target}`)).code).toBe(0)
    const url = await sandbox().realPostgresUrl(target)
    await psql(url, 'create table keep_me (x int); insert into keep_me values (7)')
    await expect(
      runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, target: `postgres:${target}`, overwrite: 'true', 'age-identity': keys.identity }), logger)
    ).rejects.toThrow(/Checksum mismatch/)
    expect((await psql(url, 'select x from keep_me')).trim()).toBe('7')
  })

  it('refuses a backup from a newer pg_dump than the runner\'s pg_restore before sending anything for the target', async () => {
    const logger = new RecordingLogger()
    const backup = await runWithReport(inputs({ mode: 'backup', sources: `postgres:${service}` }), logger)
    const manifestKey = (backup.results[0]?.key as string).replace(/[^/]+$/, 'manifest.json')
    const s3 = directS3()
    const manifest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }))).Body!.transformToString())
    manifest.database.dump.pgDumpVersion = '99.1'
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey, Body: JSON.stringify(manifest) }))
    s3.destroy()

    const target = `${service}_newer`
    const argvFrom = sizeOf(argvLogPath(sandbox().root))
    expect((await dokku(`postgres:create ${target}`)).code).toBe(0)
    const url = await sandbox().realPostgresUrl(target)
    await psql(url, 'create table keep_me (x int); insert into keep_me values (7)')
    await expect(
      runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, target: `postgres:${target}`, overwrite: 'true', 'age-identity': keys.identity }), logger)
    ).rejects.toThrow(/which is left untouched: this backup was written by pg_dump 99\.1, and the runner's pg_restore .* postgresql-client-99.* Or restore into a new service/)
    // The host saw the test's own create, then only the reads that found the target holding data.
    const naming = readArgvLog(sandbox().root, argvFrom).filter((record) => record.argv.includes(target)).map((record) => record.argv[0])
    expect(naming[0]).toBe('postgres:create')
    expect(new Set(naming.slice(1))).toEqual(new Set(['postgres:exists', 'postgres:connect']))
    expect((await psql(url, 'select x from keep_me')).trim()).toBe('7')

    // A new service has nothing to lose: the same backup goes through Dokku's own import (what a drill's scratch service gets).
    const fresh = `${service}_fresh`
    const restored = await runWithReport(inputs({ mode: 'restore', sources: `postgres:${service}`, target: `postgres:${fresh}`, 'age-identity': keys.identity }), logger)
    expect(restored.results[0]).toMatchObject({ outcome: 'restored', detail: expect.stringMatching(/row counts match the backup/) })
    expect(logger.text()).toContain(`postgres:${fresh} holds nothing yet, so the backup goes through dokku postgres:import instead of one transaction.`)
    expect(readArgvLog(sandbox().root, argvFrom).some((record) => record.argv[0] === 'postgres:import' && record.argv.includes(fresh))).toBe(true)
  })
})

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
