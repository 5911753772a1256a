// backup-run mode migrate end to end in the sandbox: the kubectl stand-in serves a real source database, an
// uploads tree and a Secret; the action copies them over real SSH into the simulated Dokku host's
// real PostgreSQL service and storage directory. One large file of 5 MB here (the benchmark uses
// 100 MB) keeps this file's CI time down.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMigrate } from '../../../src/actions/backup-run/migrate-main.ts'
import { runAction, type ActionRun } from '../../support/action-run.ts'
import { dokku, plainDump, psql, sandbox, unique } from '../backup-run/helpers.ts'
import { DATABASE_POD, migrateInputs, podCalls, rewriteAtSameSizeAfterTar, startCluster, treeSums, UPLOADS_POD, type Cluster } from './fixture.ts'

const LARGE_FILE = 5 * 1024 * 1024
let cluster: Cluster
const app = unique('uro')
const service = unique('uro_db').replace(/-/g, '_')
const storage = unique('uro-uploads')

beforeAll(async () => {
  cluster = await startCluster({ largeFileBytes: LARGE_FILE })
}, 120_000)

afterAll(async () => {
  await psql(sandbox().postgresAdminUrl, `drop database if exists ${cluster.sourceDb}`).catch(() => undefined)
})

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  const box = sandbox()
  return {
    ...migrateInputs(cluster, app),
    'k8s-secret': 'uro-prod',
    'database-pod': DATABASE_POD,
    'database-name': cluster.sourceDb,
    'database-user': box.postgres.adminUser,
    'database-service': service,
    'uploads-pod': UPLOADS_POD,
    'uploads-storage': storage,
    ...extra
  }
}

function migrate(values: Record<string, string>): Promise<ActionRun> {
  return runAction(async (reader, _context, logger) => {
    await runMigrate(reader, logger, { progressIntervalMs: 50 })
  }, values)
}

function report(result: ActionRun): { changed: boolean; steps: string[]; config?: { outcome: string; set: string[]; unmapped: string[] }; database?: { outcome: string; detail: string; tables: { rows: number }[] }; uploads?: { outcome: string; detail: string; files: number; bytes: number; copied: number } } {
  return JSON.parse(result.outputs.migration as string)
}

function storageDir(): string {
  return join(sandbox().root, 'storage', storage)
}

async function targetUrl(): Promise<string> {
  return sandbox().realPostgresUrl(service)
}

function secretsNowhere(result: ActionRun): void {
  for (const value of Object.values(cluster.secretValues)) {
    expect(result.everything).not.toContain(value)
    expect(result.everything).not.toContain(Buffer.from(value).toString('base64'))
    expect(JSON.stringify(result.outputs)).not.toContain(value)
    for (const argv of cluster.calls()) expect(argv.join(' ')).not.toContain(value)
  }
  expect(result.everything).not.toContain(cluster.kubeconfig.split('token: ')[1]?.trim())
}

describe('backup-run mode migrate', () => {
  it('dry run: reports the tables and counts, the files and bytes, the secret keys by name, and changes nothing', async () => {
    const result = await migrate(inputs({ 'dry-run': 'true' }))
    expect(result.error).toBeUndefined()
    expect(result.log).toMatch(/copy the database into .*: 6 tables, 4508 rows, 2 large objects/)
    expect(result.log).toMatch(/copy 49 file\(s\), 5\.\d+ MiB, into storage/)
    expect(result.log).toMatch(/set config PHOENIX_KEY_BASE, SENDGRID_API_KEY, OAUTH2_DISCORD_CLIENT_ID, OAUTH2_DISCORD_CLIENT_SECRET, OAUTH2_DISCORD_STRATEGY/)
    expect(result.log).toContain('Secret keys not copied (no mapping): pass')
    const r = report(result)
    expect(r.changed).toBe(false)
    expect(r.steps).toEqual(['create-app', 'set-config', 'create-service', 'copy-database', 'mount-storage', 'copy-uploads'])
    expect(r.database?.outcome).toBe('would copy')
    expect(r.uploads).toMatchObject({ outcome: 'would copy', files: 49 })
    expect(result.summary).toContain('dry run')
    // Nothing on the host changed.
    expect((await dokku(`apps:exists ${app}`)).code).not.toBe(0)
    expect((await dokku(`postgres:exists ${service}`)).code).not.toBe(0)
    expect((await dokku('storage:list-entries --format json')).stdout).not.toContain(storage)
    secretsNowhere(result)
    // The kubeconfig lived in a mode-600 file (the stand-in refuses any other) that is gone now.
    const paths = cluster.calls().map((argv) => argv[argv.indexOf('--kubeconfig') + 1] as string)
    expect(paths.length).toBeGreaterThan(0)
    for (const path of paths) expect(existsSync(path)).toBe(false)
  }, 120_000)

  it('a run cut half-way is run again and converges: counts, checksums and config verified, no duplicates', async () => {
    cluster.fault({ command: 'pg_dump', kind: 'cut', afterBytes: 150_000 })
    cluster.fault({ command: 'tar', kind: 'cut', afterBytes: LARGE_FILE / 2 })
    const cut = await migrate(inputs())
    expect(cut.error?.message).toMatch(/database: failed/)
    expect(cut.error?.message).toMatch(/uploads: failed/)
    // Half-copied state on the host: the next run must not trust it.
    const partial = treeSums(storageDir())
    expect(partial.size).toBeLessThan(49)

    const rerun = await migrate(inputs())
    expect(rerun.error).toBeUndefined()
    const r = report(rerun)
    expect(r.changed).toBe(true)
    expect(r.database?.outcome).toBe('copied')
    expect(r.database?.detail).toMatch(/6 tables, 4508 rows, 2 large objects: counts match the source/)
    expect(r.uploads?.outcome).toBe('copied')
    expect(r.uploads?.detail).toMatch(/all 49 files in storage .* match the pod's SHA-256/)
    // Exactly the source: a plain pg_dump of both (every row, every byte, the large objects) is the same.
    expect(await plainDump(await targetUrl())).toBe(await plainDump(cluster.sourceUrl))
    expect(treeSums(storageDir())).toEqual(treeSums(cluster.uploadsDir))
    // The Secret under the renamed keys, byte for byte; `pass` left out; no app restart needed.
    for (const [secretKey, configKey] of [
      ['secret-key-base', 'PHOENIX_KEY_BASE'],
      ['sendgrid-api-key', 'SENDGRID_API_KEY'],
      ['discord-client-id', 'OAUTH2_DISCORD_CLIENT_ID'],
      ['discord-client-secret', 'OAUTH2_DISCORD_CLIENT_SECRET']
    ] as const) {
      expect((await dokku(`config:get ${app} ${configKey}`)).stdout.trim()).toBe(cluster.secretValues[secretKey])
    }
    expect((await dokku(`config:get ${app} OAUTH2_DISCORD_STRATEGY`)).stdout.trim()).toBe('Assent.Strategy.Discord')
    expect((await dokku(`config:get ${app} DATABASE_PASS`)).code).not.toBe(0)
    expect((await dokku(`storage:list ${app} --format json`)).stdout).toContain('/app/uploads')
    secretsNowhere(rerun)

    // And once more: converged, nothing planned, nothing changed.
    const again = await migrate(inputs())
    expect(again.error).toBeUndefined()
    expect(report(again)).toMatchObject({ changed: false, steps: [] })
    expect(again.log).toContain('Plan: nothing to do')
    expect(again.log).toMatch(/already holds the copy/)
    expect(again.log).toMatch(/already holds all 49 files with the same SHA-256/)
  }, 300_000)

  it('reports a source that changed during the copy', async () => {
    // Something to copy on both sides, and a writer that strikes while it is copied.
    await psql(cluster.sourceUrl, `insert into schema_migrations values (20260101000000, now())`)
    writeFileSync(join(storageDir(), 'avatar 1.png'), 'tampered')
    cluster.fault({ command: 'pg_dump', kind: 'mutate', shell: `psql -X -q -d ${cluster.sourceDb} -U ${sandbox().postgres.adminUser} -c "insert into users (id, email, username, inserted_at, updated_at) values (gen_random_uuid(), 'late@example.org', 'late', now(), now())"` })
    cluster.fault({ command: 'tar', kind: 'mutate', shell: `printf late > '${join(cluster.uploadsDir, 'written-during-copy.txt')}'` })
    const result = await migrate(inputs())
    const r = report(result)
    expect(r.database?.outcome).toBe('source changed')
    expect(r.database?.detail).toMatch(/public\.users: 1500 rows before the copy, 1501 after it/)
    expect(r.uploads?.outcome).toBe('source changed')
    expect(r.uploads?.detail).toMatch(/1 file\(s\) added/)
    expect(result.error?.message).toMatch(/source changed/)
    // What was copied is still right: the tampered file is the pod's again.
    expect(createHash('sha256').update(readFileSync(join(storageDir(), 'avatar 1.png'))).digest('hex')).toBe(treeSums(cluster.uploadsDir).get('avatar 1.png'))
  }, 180_000)

  it('into a new storage entry, hashes the pod once, after the copy; a file rewritten at the same size meanwhile is reported', async () => {
    const firstApp = unique('uro-first')
    const firstStorage = unique('uro-first-uploads')
    const values = { ...migrateInputs(cluster, firstApp), 'uploads-pod': UPLOADS_POD, 'uploads-storage': firstStorage }
    const callsBefore = cluster.calls().length
    const restore = rewriteAtSameSizeAfterTar(cluster, 'avatar 1.png')
    try {
      const result = await migrate(values)
      const r = report(result)
      // Names and sizes alone before the copy (no file read), every file hashed once after it.
      expect(podCalls(cluster, callsBefore)).toEqual(['listing', 'tar', 'inventory'])
      // Same names, same sizes: only the checksums after the copy can tell, and they do.
      expect(r.uploads?.outcome).toBe('mismatch')
      expect(r.uploads?.detail).toMatch(/"avatar 1\.png" differs .*if the app still writes to \/app\/uploads, stop it and run again/)
      expect(result.error?.message).toMatch(/uploads: mismatch/)
      // The entry exists now: the rerun compares checksums on both sides and copies that one file.
      const rerun = await migrate(values)
      expect(rerun.error).toBeUndefined()
      expect(report(rerun).uploads).toMatchObject({ outcome: 'copied', copied: 1 })
      expect(treeSums(join(sandbox().root, 'storage', firstStorage))).toEqual(treeSums(cluster.uploadsDir))
    } finally {
      restore()
    }
  }, 180_000)

  it('refuses a target database that holds data it did not copy there, unless overwrite is set', async () => {
    const other = unique('other_db').replace(/-/g, '_')
    expect((await dokku(`postgres:create ${other}`)).code).toBe(0)
    expect((await dokku(`postgres:connect ${other}`, 'create table precious (x int); insert into precious values (1);\n')).code).toBe(0)
    const databaseOnly = { 'database-service': other, 'dry-run': 'true', 'k8s-secret': '', 'uploads-pod': '' }
    const refused = await migrate(inputs(databaseOnly))
    expect(refused.error?.message).toMatch(new RegExp(`postgres:${other} already holds 1 relations .*set overwrite: true`))
    const allowed = await migrate(inputs({ ...databaseOnly, overwrite: 'true' }))
    expect(allowed.error).toBeUndefined()
    expect(allowed.log).toMatch(/overwrite: true replaces them/)
  }, 180_000)
})
