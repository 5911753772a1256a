// Faults mid-flight during a migration (issue 17): backup-run mode migrate copying a database out of
// the cluster (the kubectl stand-in over a real PostgreSQL source) into a Dokku postgres service,
// stopped once the host's pg_restore is writing into the target — an observable point, never a
// guessed sleep — by SIGKILL of the action (no finally, no handler) or by its SSH connection cut.
// Then: the target is marked as an unfinished copy, never as complete; nothing of the copy keeps
// running on either side (pg_restore on the host, kubectl and pg_dump on the runner); and the next
// run, with the same inputs, replaces the partial copy and verifies it against the source. And the
// uploads copied into a bucket, SIGKILLed once a part of the large file reached the S3 server: no
// half object; the next run copies the tree whole and leaves the killed run's upload alone (it could
// be a live run's), which a run past the abandonment window aborts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MARKER } from '../../../src/actions/backup-run/migrate.ts'
import { ABANDONED_AFTER_MS } from '../../../src/core/backup/abandoned-uploads.ts'
import { runMigrate } from '../../../src/actions/backup-run/migrate-main.ts'
import { runAction, type ActionRun } from '../../support/action-run.ts'
import { spawnBundle } from '../../support/bundle-run.ts'
import { cutConnections, liveProcesses } from '../../support/host-faults.ts'
import { recordReliability } from '../../support/reliability.ts'
import { waitFor } from '../../support/wait.ts'
import { createBucket, plainDump, psql, sandbox, unique } from '../backup-run/helpers.ts'
import { bucketSums, DATABASE_POD, migrateInputs, pendingUploads, startCluster, treeSums, UPLOADS_POD, type Cluster } from '../migrate/fixture.ts'

const PROMISE = 'killed-mid-flight'
let cluster: Cluster
let work: string

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'killed-mid-migration-'))
  // A large file of three 8 MiB parts: the kill lands between its first part and its completion.
  cluster = await startCluster({ largeFileBytes: 24 * 1024 * 1024 })
  // Enough rows that the host's pg_restore writes for a while: the fault lands while it does.
  await psql(cluster.sourceUrl, `create table bulk (id int primary key, payload text);
    insert into bulk select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) from generate_series(1, 250000) g;`)
}, 180_000)

afterAll(async () => {
  await psql(sandbox().postgresAdminUrl, `drop database if exists ${cluster.sourceDb}`).catch(() => undefined)
  rmSync(work, { recursive: true, force: true })
  rmSync(cluster.dir, { recursive: true, force: true })
})

function inputs(service: string): Record<string, string> {
  return {
    ...migrateInputs(cluster, unique('mig-kill')),
    'database-pod': DATABASE_POD,
    'database-name': cluster.sourceDb,
    'database-user': sandbox().postgres.adminUser,
    'database-service': service
  }
}

function migrate(values: Record<string, string>, options: { now?: () => Date } = {}): Promise<ActionRun> {
  return runAction(async (reader, _context, logger) => {
    await runMigrate(reader, logger, { progressIntervalMs: 60_000, ...options })
  }, values)
}

/** Sessions of the sandbox's cluster with this application name (pg_restore is the host's import). */
async function sessions(application: string): Promise<number> {
  return Number((await psql(sandbox().postgresAdminUrl, `select count(*) from pg_stat_activity where application_name = '${application}'`)).trim())
}

/** The comment on the service's database: the migration's marker. */
async function markerOf(service: string): Promise<string> {
  const database = new URL(await sandbox().realPostgresUrl(service)).pathname.slice(1)
  return (await psql(sandbox().postgresAdminUrl, `select coalesce(shobj_description(oid, 'pg_database'), '') from pg_database where datname = '${database}'`)).trim()
}

/** Runner-side processes of this cluster's copy: the kubectl stand-in (its config path) and the pg_dump it runs (the source's name). */
function copyProcesses(): number[] {
  const read = (pid: number, what: string): string => {
    try {
      return readFileSync(`/proc/${pid}/${what}`, 'utf8')
    } catch {
      return '' // gone while we looked, or not ours to read
    }
  }
  return liveProcesses()
    .filter((p) => read(p.pid, 'cmdline').includes(cluster.sourceDb) || read(p.pid, 'environ').includes(cluster.configPath))
    .map((p) => p.pid)
}

describe('a migration stopped mid-copy', () => {
  for (const how of ['SIGKILL', 'connection cut'] as const) {
    it(`${how} while the host's pg_restore writes into the target: marked unfinished, nothing left running, the next run copies it whole`, async () => {
      const service = unique('migkill').replace(/-/g, '_')
      const values = inputs(service)
      const restoring = () => waitFor(async () => (await sessions('pg_restore')) > 0, { what: 'pg_restore writing into the target on the host', timeoutMs: 120_000 })
      let stopped: boolean
      let detail: string
      if (how === 'SIGKILL') {
        const killed = spawnBundle(work, 'backup-run', values, 300_000)
        await restoring()
        killed.child.kill('SIGKILL')
        const exit = await killed.exited
        stopped = exit.signal === 'SIGKILL'
        detail = killed.log().slice(-2000)
      } else {
        const running = migrate(values)
        await restoring()
        const cut = cutConnections(sandbox().root)
        const result = await running
        const message = result.error?.message ?? ''
        // A clear failure: the database section failed, saying the connection went.
        stopped = cut > 0 && /database: failed/.test(message) && /connection|closed|lost|ended|signal/i.test(message)
        detail = `${message}\n${result.log.slice(-2000)}`
      }
      const marker = await markerOf(service)
      // Nothing of the copy outlives it, on either side (bounded: the host's pg_restore reads its EOF).
      const quiet = await waitFor(async () => (await sessions('pg_restore')) === 0 && copyProcesses().length === 0, { what: 'the copy to stop on both sides', timeoutMs: 60_000 }).then(
        () => true,
        () => false
      )
      const next = await migrate(values)
      const section = next.error ? undefined : (JSON.parse(next.outputs.migration as string) as { database?: { outcome: string; detail: string } }).database
      const same = next.error ? false : (await plainDump(await sandbox().realPostgresUrl(service))) === (await plainDump(cluster.sourceUrl))
      const checks = {
        [`the action was stopped (${how})`]: stopped,
        'the target is marked as an unfinished copy, not a complete one': marker === MARKER.copying,
        'nothing of the copy kept running: no pg_restore on the host, no kubectl or pg_dump on the runner': quiet,
        'the next run replaced the partial copy and verified it': section?.outcome === 'copied' && /counts match the source/.test(section.detail),
        'the target holds exactly the source': same,
        'the next run got the marker it left complete': (await markerOf(service)) === MARKER.complete
      }
      const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
      recordReliability(PROMISE, `migration ${how} while pg_restore writes into the target`, { tried: 1, held: failed.length === 0 ? 1 : 0 })
      expect(failed, `${detail}\nmarker: ${marker}\nnext run: ${next.error?.message ?? 'ok'}\n${next.log.slice(-1500)}`).toEqual([])
    }, 400_000)
  }

  it('SIGKILL while the uploads go into a bucket, once a part of the large file reached S3: no half object; the next run copies the tree whole and, once the upload is old enough to be no live run\'s, aborts it', async () => {
    const box = sandbox()
    const bucket = unique('migkill-uploads')
    const prefix = 'uploads/'
    await createBucket(bucket)
    const values = {
      ...migrateInputs(cluster, unique('mig-kill')),
      'uploads-pod': UPLOADS_POD,
      'uploads-bucket': bucket,
      'uploads-prefix': prefix,
      's3-endpoint': box.s3.endpoint,
      's3-access-key-id': box.s3.accessKeyId,
      's3-secret-access-key': box.s3.secretAccessKey
    }
    const partOfLargeFile = () => box.s3.requests().some((r) => r.method === 'PUT' && r.path === `/${bucket}/${prefix}large.bin` && r.query.partNumber !== undefined)
    const killed = spawnBundle(work, 'backup-run', values, 300_000)
    await waitFor(partOfLargeFile, { what: 'a part of the large file at the S3 server', timeoutMs: 120_000 })
    killed.child.kill('SIGKILL')
    const exit = await killed.exited
    const left = await pendingUploads(bucket, prefix)
    const halfObject = (await bucketSums(bucket, prefix, cluster.uploadsDir)).has('large.bin')
    const quiet = await waitFor(() => copyProcesses().length === 0, { what: 'the killed copy\'s kubectl and tar to end', timeoutMs: 60_000 }).then(
      () => true,
      () => false
    )
    // Run at once: the upload the killed run left could be a live run's, so it is left alone.
    const next = await migrate(values)
    const section = next.error ? undefined : (JSON.parse(next.outputs.migration as string) as { uploads?: { outcome: string } }).uploads
    const leftAlone = JSON.stringify(await pendingUploads(bucket, prefix)) === JSON.stringify(left)
    // A run past the abandonment window takes it for a dead run's and aborts it.
    const later = await migrate(values, { now: () => new Date(Date.now() + ABANDONED_AFTER_MS + 60_000) })
    const checks = {
      'the action was killed': exit.signal === 'SIGKILL',
      'no object for the file whose upload was cut': !halfObject,
      'nothing of the copy kept running on the runner': quiet,
      'the next run copied the tree': section?.outcome === 'copied',
      'every object matches its file byte for byte': JSON.stringify([...(await bucketSums(bucket, prefix, cluster.uploadsDir))].sort()) === JSON.stringify([...treeSums(cluster.uploadsDir)].sort()),
      'the next run left the killed run\'s upload alone (it could be a live run\'s)': leftAlone,
      'a run past the abandonment window aborted it': !later.error && (await pendingUploads(bucket, prefix)).length === 0 && left.every((upload) => later.log.includes(`aborted the multipart upload of ${upload.key}`))
    }
    const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
    recordReliability(PROMISE, 'migration SIGKILL while uploads go into a bucket', { tried: 1, held: failed.length === 0 ? 1 : 0 })
    expect(failed, `${killed.log().slice(-2000)}\nleft: ${JSON.stringify(left)}\nnext run: ${next.error?.message ?? 'ok'}\n${next.log.slice(-1500)}`).toEqual([])
  }, 400_000)
})
