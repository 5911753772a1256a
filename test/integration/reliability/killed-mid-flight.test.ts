// Faults mid-flight, on the host side (issue 17): the action process killed with SIGKILL (nothing of
// it runs afterwards: no finally, no signal handler) and the SSH connection cut (sshd's child for
// the action's connection killed), each at an observable point of the work, never after a guessed
// sleep: a backup once its first UploadPart reaches the S3 endpoint, a restore once its psql session is
// copying rows into the target, a deploy once the host runs git:from-image. Then: nothing is taken
// for complete that is not (no manifest, the previous backup still the newest; the restore's target
// keeps exactly its previous rows), and the next run recovers on its own — it aborts the upload the
// killed run left, takes over the deploy lock once its recorded expiry has passed, restores the
// target whole.
//
// A sandbox of its own: the sshd children, the argv log and the database sessions watched here are
// this file's alone. The killed processes are the committed bundles, spawned as the runner does.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execute, runWithReport } from '../../../src/actions/backup-run/main.ts'
import { readBackupInputs } from '../../../src/actions/backup-run/inputs.ts'
import type { RunOptions } from '../../../src/actions/backup-run/runtime.ts'
import { run as deployRun } from '../../../src/actions/dokku-deploy/main.ts'
import { run as serviceRun } from '../../../src/actions/dokku-service/main.ts'
import { ABANDONED_AFTER_MS } from '../../../src/core/backup/abandoned-uploads.ts'
import { DEPLOY_MUTEX_REF, DeployMutex } from '../../../src/core/git/deploy-mutex.ts'
import type { PushCredentials } from '../../../src/core/git/push.ts'
import { InputReader } from '../../../src/core/inputs/readers.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { ObjectStore } from '../../../src/core/s3/client.ts'
import { readArgvLog, argvLogPath } from '../../sandbox/simulator/core/argv-log.ts'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { spawnBundle } from '../../support/bundle-run.ts'
import { cutConnections } from '../../support/host-faults.ts'
import { recordReliability } from '../../support/reliability.ts'
import { S3FaultProxy } from '../../support/s3-fault-proxy.ts'
import { ageKeys, exec, psql, type AgeKeys } from '../backup-run/helpers.ts'
import { createSandboxBucket } from '../../support/sandbox-s3.ts'

const MIB = 1024 * 1024
const PROMISE = 'killed-mid-flight'
const bucket = 'killed-backups'
const PREFIX = 'killed/'
const service = 'killed_pg'
const target = 'killed_target'
const app = 'killed-app'
const cache = 'killed-redis'
const configApp = 'killed-config'

let sandbox: Sandbox
let work: string
let keys: AgeKeys
let proxy: S3FaultProxy

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'killed-mid-flight-'))
  sandbox = await startSandbox()
  keys = await ageKeys()
  await createSandboxBucket(sandbox, bucket)
  expect((await sandbox.ssh('dokku', `postgres:create ${service}`)).code).toBe(0)
  // ~12 MB stored: three 5 MiB parts, and a restore that copies rows for a few seconds.
  await psql(
    await sandbox.realPostgresUrl(service),
    `create table big (id int primary key, payload text);
     insert into big select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) from generate_series(1, 250000) g;`
  )
  for (const command of [`redis:create ${cache}`, `apps:create ${configApp}`]) expect((await sandbox.ssh('dokku', command)).code).toBe(0)
  expect((await sandbox.ssh('dokku', `config:set --no-restart ${configApp} GREETING=hello`)).code).toBe(0)
  proxy = await S3FaultProxy.start(sandbox.s3.endpointIp)
}, 180_000)

afterAll(async () => {
  await proxy?.close()
  await sandbox?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
}, 60_000)

function sshInputs(): Record<string, string> {
  return { host: '127.0.0.1', 'ssh-port': String(sandbox.port), 'ssh-private-key': sandbox.users.dokku.privateKey, 'ssh-host-key': sandbox.knownHostsLine }
}

function backupInputs(extra: Record<string, string>): Record<string, string> {
  return {
    ...sshInputs(),
    's3-endpoint': proxy.endpoint,
    's3-bucket': bucket,
    's3-prefix': PREFIX,
    's3-access-key-id': sandbox.s3.accessKeyId,
    's3-secret-access-key': sandbox.s3.secretAccessKey,
    sources: `postgres:${service}`,
    'age-recipients': keys.recipient,
    ...extra
  }
}

const reader = (values: Record<string, string>) => new InputReader((name) => values[name] ?? '')

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function settle(name: string, checks: Record<string, boolean>, detail: string): void {
  const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
  recordReliability(PROMISE, name, { tried: 1, held: failed.length === 0 ? 1 : 0 })
  expect(failed, `${name}:\n${detail}`).toEqual([])
}

function store(): ObjectStore {
  return new ObjectStore({ endpoint: sandbox.s3.endpointIp, region: sandbox.s3.region, bucket, accessKeyId: sandbox.s3.accessKeyId, secretAccessKey: sandbox.s3.secretAccessKey })
}

async function pendingUploads(): Promise<string[]> {
  const s = store()
  try {
    const keys: string[] = []
    for await (const upload of s.listMultipartUploads(PREFIX)) keys.push(upload.key)
    return keys
  } finally {
    s.destroy()
  }
}

async function completeBackups(): Promise<string[]> {
  return completeBackupsOf(`postgres:${service}`)
}

async function completeBackupsOf(source: string): Promise<string[]> {
  const list = await runWithReport(reader(backupInputs({ mode: 'list', sources: source })), new RecordingLogger())
  return list.results.filter((r) => r.outcome === 'complete').map((r) => r.id as string).sort()
}

/** A backup run's report, also when sources failed (`execute`: the action's run without the throw at the end). */
async function backupReport(extra: Record<string, string>, options: RunOptions): Promise<Map<string, { outcome: string; detail: string }>> {
  const report = await execute(readBackupInputs(reader(backupInputs({ mode: 'backup', ...extra }))), new RecordingLogger(), options)
  return new Map(report.results.map((r) => [r.source, { outcome: r.outcome, detail: r.detail }]))
}

const firstPart = () => proxy.waitFor((r) => r.operation === 'UploadPart' && r.bucket === bucket, 90_000)

let previous: string

describe('killed or cut mid-flight, and the next run recovers', () => {
  it('a first clean backup (the one that must stay the newest)', async () => {
    const report = await runWithReport(reader(backupInputs({ mode: 'backup' })), new RecordingLogger(), { upload: { partSize: 5 * MIB } })
    previous = report.results[0]?.id as string
    expect(report.results[0]?.outcome).toBe('backed up')
  }, 120_000)

  it('backup: the action SIGKILLed during its upload — no manifest; the next run aborts the upload it left and completes', async () => {
    proxy.reset()
    const killed = spawnBundle(work, 'backup-run', backupInputs({ mode: 'backup' }))
    const part = await firstPart()
    killed.child.kill('SIGKILL')
    const exit = await killed.exited
    const left = await pendingUploads()
    const afterKill = await completeBackups()
    // The next run, an hour later than the killed one's last write (the rule: abandoned-uploads.ts).
    const logger = new RecordingLogger()
    const next = await runWithReport(reader(backupInputs({ mode: 'backup' })), logger, { upload: { partSize: 5 * MIB }, now: () => new Date(Date.now() + ABANDONED_AFTER_MS + 60_000) }).catch((e: Error) => e)
    const afterNext = await pendingUploads()
    const complete = await completeBackups()
    settle(
      'backup-run SIGKILLed during the upload',
      {
        'it was killed mid-upload': exit.signal === 'SIGKILL' && part.key.startsWith(PREFIX),
        'it left its multipart upload': left.includes(part.key),
        'no manifest: the previous backup is still the newest complete one': afterKill.at(-1) === previous,
        'the next run succeeded': !(next instanceof Error) && next.results[0]?.outcome === 'backed up',
        'and aborted the upload left behind': !afterNext.includes(part.key) && logger.text().includes(`aborted the multipart upload of ${part.key}`),
        'its backup is the newest complete one': !(next instanceof Error) && complete.at(-1) === next.results[0]?.id
      },
      `${killed.log().slice(-1500)}\n${next instanceof Error ? next.message : logger.text().slice(-1500)}`
    )
    if (!(next instanceof Error)) previous = next.results[0]?.id as string
  }, 180_000)

  it('backup: the SSH connection cut during the upload — a clear failure, its upload aborted, no manifest; the next run completes', async () => {
    proxy.reset()
    // Slow parts, one at a time: the upload holds back the stream, so pg_dump is still writing on
    // the host when the connection goes (the whole dump would otherwise be on the runner already).
    proxy.inject({ operation: 'UploadPart', fault: { kind: 'delay', ms: 4_000 } })
    const logger = new RecordingLogger()
    const running = runWithReport(reader(backupInputs({ mode: 'backup' })), logger, { upload: { partSize: 5 * MIB, concurrency: 1 } }).catch((e: Error) => e)
    const part = await firstPart()
    const database = new URL(await sandbox.realPostgresUrl(service)).pathname.slice(1)
    await until('pg_dump running on the host', async () => (await psql(sandbox.postgresAdminUrl, `select count(*) from pg_stat_activity where datname = '${database}' and application_name = 'pg_dump'`)).trim() !== '0')
    const cut = cutConnections(sandbox.root)
    const failed = await running
    const left = await pendingUploads()
    const afterCut = await completeBackups()
    proxy.reset()
    const next = await runWithReport(reader(backupInputs({ mode: 'backup' })), new RecordingLogger(), { upload: { partSize: 5 * MIB } }).catch((e: Error) => e)
    settle(
      'backup-run with its SSH connection cut during the upload',
      {
        'the connection was cut': cut > 0,
        'the run failed, naming the source and the lost connection': failed instanceof Error && failed.message.includes(`postgres:${service}`) && /connection|closed|lost|ended|signal/i.test(failed.message),
        'its upload was aborted by the run itself': !left.includes(part.key),
        'no manifest: the previous backup is still the newest complete one': afterCut.at(-1) === previous,
        'the next run succeeded': !(next instanceof Error) && next.results[0]?.outcome === 'backed up'
      },
      `${failed instanceof Error ? failed.message : 'it did not fail'}\n${logger.text().slice(-1500)}`
    )
    if (!(next instanceof Error)) previous = next.results[0]?.id as string
  }, 180_000)

  for (const how of ['SIGKILL', 'connection cut'] as const) {
    it(`restore: ${how} while rows are copied into the target — the target keeps exactly its previous rows; the next restore run restores it whole`, async () => {
      // The target holds other data first: the restore overwrites it.
      await sandbox.ssh('dokku', `postgres:destroy ${target} --force`)
      expect((await sandbox.ssh('dokku', `postgres:create ${target}`)).code).toBe(0)
      const targetUrl = await sandbox.realPostgresUrl(target)
      // The same table with other rows: the restore drops and recreates it, so a whole restore equals the source.
      await psql(targetUrl, `create table big (id int primary key, payload text); insert into big select g, 'old' from generate_series(1, 100) g;`)
      const before = await content(targetUrl)
      const database = new URL(targetUrl).pathname.slice(1)
      // The restore is psql (postgres:connect) reading the script the runner's pg_restore wrote.
      const sessions = (where: string) => psql(sandbox.postgresAdminUrl, `select count(*) from pg_stat_activity where datname = '${database}' and application_name = 'psql'${where}`)
      const copying = async () => (await sessions(` and query ilike 'copy%'`)).trim() !== '0'
      const restoring = async () => (await sessions('')).trim() !== '0'
      const inputs = backupInputs({ mode: 'restore', target: `postgres:${target}`, overwrite: 'true', 'age-identity': keys.identity })
      let outcome: string
      let stopped: boolean
      if (how === 'SIGKILL') {
        const killed = spawnBundle(work, 'backup-run', inputs)
        await until('rows being copied into the target', copying)
        killed.child.kill('SIGKILL')
        const exit = await killed.exited
        stopped = exit.signal === 'SIGKILL'
        outcome = `exit ${JSON.stringify(exit)}`
      } else {
        const running = runWithReport(reader(inputs), new RecordingLogger()).then(() => undefined, (e: Error) => e)
        await until('rows being copied into the target', copying)
        const cut = cutConnections(sandbox.root)
        const failed = await running
        stopped = cut > 0 && failed instanceof Error
        outcome = failed ? failed.message : 'it did not fail'
      }
      // psql sees its input end before the COMMIT; the server rolls the transaction back.
      await until('the restore session to end', async () => !(await restoring()), 60_000)
      const after = await content(targetUrl)
      const source = await content(await sandbox.realPostgresUrl(service))
      const state = after === before ? 'untouched' : after === source ? 'fully restored' : 'half-restored'
      console.log(`restore ${how}: ${outcome}; the target was ${state} afterwards`)
      // The next run recovers: the same restore again (overwrite) restores the target whole.
      const again = await runWithReport(reader(inputs), new RecordingLogger()).catch((e: Error) => e)
      const recovered = (await content(targetUrl)) === source
      recordReliability(PROMISE, `restore ${how} mid-copy: the target keeps exactly its previous rows`, { tried: 1, held: stopped && state === 'untouched' ? 1 : 0 })
      recordReliability(PROMISE, `restore ${how} mid-copy: the next restore run restores it whole`, { tried: 1, held: recovered && !(again instanceof Error) ? 1 : 0 })
      expect(stopped, outcome).toBe(true)
      expect(state, outcome).toBe('untouched')
      expect(again instanceof Error ? again.message : again.results[0]?.outcome).toBe('restored')
      expect(recovered).toBe(true)
    }, 240_000)
  }

  it('deploy: the action SIGKILLed during git:from-image — its lock blocks no longer than its recorded expiry, then the next deploy takes it over and deploys', async () => {
    expect((await sandbox.ssh('dokku', `apps:create ${app}`)).code).toBe(0)
    const argvFrom = sizeOf(argvLogPath(sandbox.root))
    const killed = spawnBundle(work, 'dokku-deploy', { ...sshInputs(), app, source: 'image', image: 'ghcr.io/acme/app:build-seconds-6' })
    await until('git:from-image on the host', () => readArgvLog(sandbox.root, argvFrom).some((r) => r.argv.includes('git:from-image')))
    killed.child.kill('SIGKILL')
    await killed.exited
    const ref = (await exec('git', ['ls-remote', sandbox.remoteUrl(app), DEPLOY_MUTEX_REF], { env: sandbox.gitEnv() })).stdout.trim()
    const probe = new DeployMutex(credentials(), app, { leaseMs: 60_000, holder: 'reliability probe' })
    // Before its expiry, the killed run's lock is respected; once it has passed, it is taken over.
    const early = await probe.tryAcquire(new Date())
    const expiresAt = early.acquired ? undefined : early.heldBy?.expiresAt
    const late = expiresAt ? await probe.tryAcquire(new Date(Date.parse(expiresAt) + 1_000)) : early
    if (late.acquired) await probe.release()
    // The next deploy: the killed run's build may still hold Dokku's lock for its last seconds (its
    // mutex ref was taken over and released above); lock-timeout only bounds that wait generously.
    const logger = new RecordingLogger()
    const values = { ...sshInputs(), app, source: 'image', image: 'ghcr.io/acme/app:2', 'lock-timeout': '120s' }
    const nextStarted = performance.now()
    const next = await deployRun(reader(values), undefined, logger).then(() => undefined, (e: Error) => e)
    console.log(`the deploy after the killed one took ${Math.round(performance.now() - nextStarted)} ms${logger.text().includes('waiting up to') ? ', waiting for the lock' : ''}`)
    settle(
      'dokku-deploy SIGKILLed during git:from-image',
      {
        'the killed run left its lock': ref.endsWith(DEPLOY_MUTEX_REF),
        'it is respected before its recorded expiry': !early.acquired && expiresAt !== undefined,
        'it is taken over once that has passed': late.acquired && (late as { tookOver?: unknown }).tookOver !== undefined,
        'the next deploy then succeeds': next === undefined
      },
      `${next?.message ?? ''}\n${logger.text().slice(-2000)}\n${killed.log().slice(-1500)}`
    )
  }, 240_000)

  it('deploy: the SSH connection cut during git:from-image — a clear failure; its lock blocks no longer than its recorded expiry; the next deploy succeeds', async () => {
    const argvFrom = sizeOf(argvLogPath(sandbox.root))
    const logger = new RecordingLogger()
    const values = { ...sshInputs(), app, source: 'image', image: 'ghcr.io/acme/app:build-seconds-6', 'lock-timeout': '120s' }
    const running = deployRun(reader(values), undefined, logger).then(() => undefined, (e: Error) => e)
    await until('git:from-image on the host', () => readArgvLog(sandbox.root, argvFrom).some((r) => r.argv.includes('git:from-image')))
    const cut = cutConnections(sandbox.root)
    const failed = await running
    // The run cannot release its lock over the lost connection (it asks apps:exists first, so that
    // its release push cannot create a destroyed app): the lock stays until its recorded expiry.
    const ref = (await exec('git', ['ls-remote', sandbox.remoteUrl(app), DEPLOY_MUTEX_REF], { env: sandbox.gitEnv() })).stdout.trim()
    console.log(`deploy cut: the run ${ref === '' ? 'released' : 'left'} its deploy lock`)
    const probe = new DeployMutex(credentials(), app, { leaseMs: 60_000, holder: 'reliability probe' })
    const early = ref === '' ? undefined : await probe.tryAcquire(new Date())
    const expiresAt = early && !early.acquired ? early.heldBy?.expiresAt : undefined
    const late = expiresAt ? await probe.tryAcquire(new Date(Date.parse(expiresAt) + 1_000)) : undefined
    if (late?.acquired) await probe.release()
    const next = await deployRun(reader({ ...values, image: 'ghcr.io/acme/app:3' }), undefined, new RecordingLogger()).then(() => undefined, (e: Error) => e)
    settle(
      'dokku-deploy with its SSH connection cut during git:from-image',
      {
        'the connection was cut': cut > 0,
        'the run failed, saying the connection was lost': failed instanceof Error && /connection .* (lost|not open)/i.test(failed.message),
        'a lock left behind is respected before its recorded expiry and taken over after it': ref === '' || (early?.acquired === false && expiresAt !== undefined && late?.acquired === true),
        'the next deploy succeeds': next === undefined
      },
      `${failed?.message ?? 'it did not fail'}\n${next?.message ?? ''}\n${logger.text().slice(-2000)}`
    )
  }, 180_000)

  it('config change: dokku-service SIGKILLed once postgres:link runs on the host — the next run converges (linked, the URL set)', async () => {
    const linked = 'killed-linked'
    const linkService = 'killed_link'
    const inputs = { ...sshInputs(), engine: 'postgres', service: linkService, app: linked }
    const argvFrom = sizeOf(argvLogPath(sandbox.root))
    const killed = spawnBundle(work, 'dokku-service', inputs)
    await until('postgres:link on the host', () => readArgvLog(sandbox.root, argvFrom).some((r) => r.argv.includes('postgres:link')))
    killed.child.kill('SIGKILL')
    const exit = await killed.exited
    const logger = new RecordingLogger()
    const next = await serviceRun(reader(inputs), undefined, logger).then(() => undefined, (e: Error) => e)
    const isLinked = (await sandbox.ssh('dokku', `postgres:linked ${linkService} ${linked}`)).code === 0
    const url = (await sandbox.ssh('dokku', `config:get ${linked} DATABASE_URL`)).stdout.trim()
    // And a further run on the converged host succeeds too.
    const again = await serviceRun(reader(inputs), undefined, new RecordingLogger()).then(() => undefined, (e: Error) => e)
    settle(
      'dokku-service SIGKILLed during postgres:link',
      {
        'it was killed': exit.signal === 'SIGKILL',
        'the next run succeeded': next === undefined,
        'the app is linked to the service and holds its URL': isLinked && url.startsWith('postgres://'),
        'a further run succeeds too': again === undefined
      },
      `${next?.message ?? ''}\n${logger.text().slice(-2000)}\n${killed.log().slice(-1500)}`
    )
  }, 180_000)

  it('config change: dokku-service\'s SSH connection cut once postgres:link runs on the host — a clear failure, or done before the cut; the next run converges', async () => {
    const linked = 'killed-linked-cut'
    const linkService = 'killed_link_cut'
    const inputs = { ...sshInputs(), engine: 'postgres', service: linkService, app: linked }
    const argvFrom = sizeOf(argvLogPath(sandbox.root))
    const logger = new RecordingLogger()
    const running = serviceRun(reader(inputs), undefined, logger).then(() => undefined, (e: Error) => e)
    await until('postgres:link on the host', () => readArgvLog(sandbox.root, argvFrom).some((r) => r.argv.includes('postgres:link')))
    const cut = cutConnections(sandbox.root)
    const first = await running
    const next = await serviceRun(reader(inputs), undefined, new RecordingLogger()).then(() => undefined, (e: Error) => e)
    const isLinked = (await sandbox.ssh('dokku', `postgres:linked ${linkService} ${linked}`)).code === 0
    const url = (await sandbox.ssh('dokku', `config:get ${linked} DATABASE_URL`)).stdout.trim()
    settle(
      'dokku-service with its SSH connection cut during postgres:link',
      {
        'the connection was cut': cut > 0,
        // The link runs on regardless (a cut does not stop a host command); the run either saw the cut or had finished.
        'the run failed naming the lost connection, or had already finished': first === undefined || /connection|closed|lost|ended|signal/i.test(first.message),
        'the next run succeeded': next === undefined,
        'the app is linked to the service and holds its URL': isLinked && url.startsWith('postgres://')
      },
      `${first?.message ?? 'the first run finished'}\n${next?.message ?? ''}\n${logger.text().slice(-2000)}`
    )
  }, 180_000)

  // One run backs up three sources; the one whose service is down fails alone, the others complete.
  const three = { sources: `postgres:${service}\nredis:${cache}\nconfig:${configApp}` }

  it('redis stopped: its source fails clearly with no manifest, the run\'s other sources complete', async () => {
    proxy.reset()
    const before = await completeBackupsOf(`redis:${cache}`)
    expect((await sandbox.ssh('dokku', `redis:stop ${cache}`)).code).toBe(0)
    const outcomes = await backupReport(three, { upload: { partSize: 5 * MIB } })
    expect((await sandbox.ssh('dokku', `redis:start ${cache}`)).code).toBe(0)
    const redis = outcomes.get(`redis:${cache}`)
    const after = await completeBackupsOf(`redis:${cache}`)
    settle(
      'redis stopped during a backup run',
      {
        'the redis source failed, saying why': redis?.outcome === 'failed' && /not running|stopped/i.test(redis.detail),
        'the postgres and config sources of the same run completed': outcomes.get(`postgres:${service}`)?.outcome === 'backed up' && outcomes.get(`config:${configApp}`)?.outcome === 'backed up',
        'no redis backup was marked complete': after.length === before.length
      },
      JSON.stringify([...outcomes])
    )
  }, 180_000)

  it('the host\'s disk full under redis\'s snapshot: the redis source fails within seconds, saying so; no manifest; the run\'s other sources complete', async () => {
    proxy.reset()
    const before = await completeBackupsOf(`redis:${cache}`)
    const dataDir = join(sandbox.root, 'services', 'redis', cache, 'data')
    // A 512 KiB filesystem where the server writes its snapshot (mounted before it starts: it
    // chdirs into its data directory), and 3 MB of data in it.
    expect((await sandbox.ssh('dokku', `redis:stop ${cache}`)).code).toBe(0)
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0777', 'tmpfs', dataDir])
    let outcomes: Map<string, { outcome: string; detail: string }>
    let ms: number
    try {
      expect((await sandbox.ssh('dokku', `redis:start ${cache}`)).code).toBe(0)
      // Random values: the RDB's LZF compression cannot shrink them below the filesystem's size.
      const fill = Array.from({ length: 3000 }, (_, i) => `SET fill:${i} ${randomBytes(512).toString('hex')}`).join('\n')
      expect((await sandbox.ssh('dokku', `redis:connect ${cache}`, { stdin: `${fill}\n` })).code).toBe(0)
      const started = performance.now()
      outcomes = await backupReport(three, { upload: { partSize: 5 * MIB } })
      ms = Math.round(performance.now() - started)
    } finally {
      await sandbox.ssh('dokku', `redis:stop ${cache}`)
      await exec('umount', ['-l', dataDir])
      await sandbox.ssh('dokku', `redis:start ${cache}`)
    }
    const redis = outcomes.get(`redis:${cache}`)
    const after = await completeBackupsOf(`redis:${cache}`)
    console.log(`disk full: the redis source failed after ${ms} ms of the run: ${redis?.detail}`)
    settle(
      'the host disk full during a redis export',
      {
        'the redis source failed, saying the snapshot failed': redis?.outcome === 'failed' && /could not write its snapshot/.test(redis.detail),
        'the postgres and config sources of the same run completed': outcomes.get(`postgres:${service}`)?.outcome === 'backed up' && outcomes.get(`config:${configApp}`)?.outcome === 'backed up',
        'no redis backup was marked complete': after.length === before.length
      },
      JSON.stringify([...outcomes])
    )
  }, 240_000)

  it('the PostgreSQL cluster stopped mid-dump: the postgres source fails clearly, no manifest, the run\'s other sources complete', async () => {
    proxy.reset()
    // Slow parts hold the dump back, so that the cluster stops while pg_dump is still reading.
    proxy.inject({ operation: 'UploadPart', fault: { kind: 'delay', ms: 4_000 } })
    const before = await completeBackups()
    const database = new URL(await sandbox.realPostgresUrl(service)).pathname.slice(1)
    const running = backupReport(three, { upload: { partSize: 5 * MIB, concurrency: 1 } })
    await firstPart()
    await until('pg_dump running on the host', async () => (await psql(sandbox.postgresAdminUrl, `select count(*) from pg_stat_activity where datname = '${database}' and application_name = 'pg_dump'`)).trim() !== '0')
    // The postmaster's fast shutdown (SIGINT): every session ends, pg_dump's with it. The cluster stays down: this is the file's last test.
    const postmaster = Number(readFileSync(join(sandbox.root, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
    process.kill(postmaster, 'SIGINT')
    const outcomes = await running
    proxy.reset()
    const postgres = outcomes.get(`postgres:${service}`)
    const after = await completeBackups()
    settle(
      'the PostgreSQL cluster stopped mid-dump',
      {
        'the postgres source failed, naming the export': postgres?.outcome === 'failed' && /postgres:export/.test(postgres.detail),
        'the redis and config sources of the same run completed': outcomes.get(`redis:${cache}`)?.outcome === 'backed up' && outcomes.get(`config:${configApp}`)?.outcome === 'backed up',
        'no manifest: the previous postgres backup is still the newest complete one': after.at(-1) === before.at(-1)
      },
      JSON.stringify([...outcomes])
    )
  }, 180_000)
})

/** What the `big` table holds (rows and a digest of them), or that it is missing: cheaper than a dump to compare. */
async function content(url: string): Promise<string> {
  return psql(url, `select count(*) || ':' || coalesce(md5(string_agg(id::text || '=' || payload, ',' order by id)), '') from big`).catch(() => 'no table big')
}

/** What the deploy lock's git pushes need: the sandbox's dokku login and its pinned host key. */
function credentials(): PushCredentials {
  return { host: '127.0.0.1', port: sandbox.port, user: 'dokku', privateKey: sandbox.users.dokku.privateKey, passphrase: undefined, verifiedHostKey: sandbox.knownHostsLine.split(' ').slice(1).join(' ') }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
