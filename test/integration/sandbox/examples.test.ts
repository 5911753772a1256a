// The example workflows nightly-backup.yml and restore-drill.yml, run as a GitHub runner would run
// them (test/sandbox/workflow-runner.ts: the committed dist/ bundles, the examples' own `with:`
// values, `${{ vars.* }}`/`${{ secrets.* }}` filled from the sandbox, `if:` conditions evaluated)
// against one sandbox host of their own: the examples name fixed apps (uro, uro-db, …), which
// would collide with the deploy example's test on the shared host.
//
// First what the examples assume: deploy-on-merge.yml's steps (the app, its database and Redis,
// as `npm start` runs them), and the SeaweedFS store with the bucket the nightly backup reads
// (seaweed-provision, through the same runner). Then the nightly backup, the restore drill, and
// the nightly backup again with the store stopped: that source fails, the others are still
// backed up, and the job's failure alert runs.
import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { hostVars, MAIN_JOB_APP, runMainJob } from '../../sandbox/main-job.ts'
import { runWorkflowJob, type StepRecord, type WorkflowContext } from '../../sandbox/workflow-runner.ts'
import { registerTestSecret } from '../../support/secret-registry.ts'
import { describeHits, scanText, type TestSecret } from '../../support/secret-scan.ts'

const exec = promisify(execFile)

// What nightly-backup.yml names: the store app and bucket of its seaweed: source.
const STORE = 'seaweedfs'
const UPLOADS = 'uro-uploads'
const DESTINATION = 'uro-backups'

// The store the nightly backup reads, provisioned as a workflow of the user's would provision it.
const PROVISION_STORE = `
jobs:
  store:
    steps:
      - name: Object store
        uses: your-org/dokku-stack/actions/seaweed-provision@v1
        with:
          host: \${{ vars.DOKKU_HOST }}
          ssh-port: \${{ vars.DOKKU_SSH_PORT }}
          ssh-private-key: \${{ secrets.DOKKU_SSH_KEY }}
          ssh-host-key: \${{ vars.DOKKU_HOST_KEY }}
          app: ${STORE}
          endpoint: \${{ vars.SEAWEED_ENDPOINT }}
          buckets: ${UPLOADS}
          access: ${MAIN_JOB_APP} ${UPLOADS} readwrite
`

let sandbox: Sandbox
let context: WorkflowContext
let work: string
const printed: string[] = []
const print = (line: string) => void printed.push(line)
/** Secrets the scan looks for in everything printed: the workflow's and those the host generated. */
const secrets: TestSecret[] = []

function secret(label: string, value: string | undefined): void {
  if (!value) return
  registerTestSecret(label, value)
  secrets.push({ label, value })
}

async function dokku(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return sandbox.ssh('dokku', command, { stdin: '' })
}

async function appConfig(app: string): Promise<Record<string, string>> {
  return JSON.parse((await dokku(`config:export --format json ${app}`)).stdout) as Record<string, string>
}

function s3(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
}

/** The destination's keys, straight from the S3 server (not through the recording proxy). */
async function storedKeys(): Promise<string[]> {
  const client = s3(sandbox.s3.directEndpoint, sandbox.s3.accessKeyId, sandbox.s3.secretAccessKey)
  try {
    const keys: string[] = []
    let token: string | undefined
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: DESTINATION, ContinuationToken: token }))
      keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''))
      token = page.NextContinuationToken
    } while (token)
    return keys
  } finally {
    client.destroy()
  }
}

async function runExample(file: string, job: string): Promise<StepRecord[]> {
  print(`\n═══ ${file} ═══`)
  const records = await runWorkflowJob({
    workflowPath: join(REPO_ROOT, 'workflows-examples', file),
    job,
    repoRoot: REPO_ROOT,
    workspace: work,
    context,
    // gh (the alert steps) cannot reach GitHub here: a stand-in on PATH records how it was called.
    env: { PATH: `${join(work, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, GITHUB_REPOSITORY: 'your-org/uro', GH_CALLS: join(work, 'gh-calls'), GITHUB_EVENT_NAME: 'schedule' },
    print
  })
  // What the run shows besides the log, so that the secret scan below reads it too.
  for (const record of records) {
    if (record.summary) print(`\n── job summary: ${record.name} ──\n${record.summary}`)
    if (Object.keys(record.shownOutputs).length > 0) print(`outputs: ${JSON.stringify(record.shownOutputs)}`)
  }
  return records
}

const step = (records: StepRecord[], nameOrId: string) => records.find((r) => r.id === nameOrId || r.name === nameOrId)
const log = () => printed.join('\n')
const manifestsOf = (keys: string[], kind: string, name: string) => keys.filter((k) => k.includes(`/${kind}/${name}/`) && k.endsWith('manifest.json'))
const SOURCES = [
  ['postgres', 'uro-db'],
  ['redis', 'uro-redis'],
  ['config', MAIN_JOB_APP],
  ['bucket', UPLOADS]
] as const

beforeAll(async () => {
  sandbox = await startSandbox()
  work = await mkdtemp(join(tmpdir(), 'examples-test-'))
  await exec('mkdir', ['-p', join(work, 'bin')])
  await writeFile(join(work, 'bin', 'gh'), '#!/bin/sh\nprintf "%s\\n" "$*" >> "$GH_CALLS"\n')
  await chmod(join(work, 'bin', 'gh'), 0o755)

  // deploy-on-merge.yml, as `npm start` runs it (once: its convergence is main-job.test.ts's).
  const deployed = await runMainJob(sandbox, print, { reRun: false })
  expect(deployed.ok, log()).toBe(true)
  for (const [name, value] of Object.entries(deployed.secrets)) secret(`deploy-on-merge secret ${name}`, value)

  const { stdout } = await exec('age-keygen', [])
  const identity = stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string
  const recipient = /# public key: (age1[0-9a-z]+)/.exec(stdout)?.[1] as string
  context = {
    vars: {
      ...hostVars(sandbox),
      SEAWEED_ENDPOINT: await sandbox.appUrl(STORE),
      BACKUP_S3_ENDPOINT: sandbox.s3.endpoint,
      BACKUP_S3_BUCKET: DESTINATION,
      BACKUP_AGE_RECIPIENTS: recipient
    },
    secrets: {
      DOKKU_SSH_KEY: sandbox.users.dokku.privateKey,
      BACKUP_S3_ACCESS_KEY_ID: sandbox.s3.accessKeyId,
      BACKUP_S3_SECRET_ACCESS_KEY: sandbox.s3.secretAccessKey,
      AGE_IDENTITY: identity
    },
    github: { token: '', server_url: 'https://github.com', repository: 'your-org/uro', run_id: '4242' }
  }
  for (const [name, value] of Object.entries(context.secrets)) secret(`example secret ${name}`, value)

  const store = await runWorkflowJob({ workflowPath: 'provision-store.yml', workflowText: PROVISION_STORE, job: 'store', repoRoot: REPO_ROOT, workspace: work, context, env: {}, print })
  if (store[0]?.exitCode !== 0) print((await exec('bash', ['-c', `find ${sandbox.root}/state/apps/${STORE}/logs -name '*.log' -exec tail -n 30 {} +`])).stdout)
  expect(store.map((r) => r.exitCode), log()).toEqual([0])

  // Data in every source, so that the drill has rows and keys to count.
  const dbUrl = await sandbox.realPostgresUrl('uro-db')
  const redisUrl = await sandbox.realRedisUrl('uro-redis')
  secret('uro-db password', decodeURIComponent(new URL(dbUrl).password))
  secret('uro-redis password', decodeURIComponent(new URL(redisUrl).password))
  await exec('psql', [dbUrl, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', "create table users (id int primary key, name text); insert into users select g, 'user ' || g from generate_series(1, 120) g;"])
  const redis = new URL(redisUrl)
  for (let i = 0; i < 5; i++) {
    const { stdout: reply } = await exec('redis-cli', ['-h', redis.hostname, '-p', redis.port, '--no-auth-warning', '-a', decodeURIComponent(redis.password), 'SET', `session:${i}`, `value ${i}`])
    expect(reply.trim()).toBe('OK')
  }
  const uro = await appConfig(MAIN_JOB_APP)
  secret('uro store key', uro.AWS_SECRET_ACCESS_KEY)
  secret('store backup key', (await appConfig(STORE)).DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY)
  const writer = s3(context.vars.SEAWEED_ENDPOINT as string, uro.AWS_ACCESS_KEY_ID as string, uro.AWS_SECRET_ACCESS_KEY as string)
  try {
    for (const [key, body] of [['avatars/1.png', 'one'], ['avatars/2.png', 'two two']] as const) await writer.send(new PutObjectCommand({ Bucket: UPLOADS, Key: key, Body: body, ContentLength: body.length }))
  } finally {
    writer.destroy()
  }
  const destination = s3(sandbox.s3.directEndpoint, sandbox.s3.accessKeyId, sandbox.s3.secretAccessKey)
  try {
    await destination.send(new CreateBucketCommand({ Bucket: DESTINATION }))
  } finally {
    destination.destroy()
  }
}, 600_000)

afterAll(async () => {
  await sandbox?.stop()
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the example backup workflows against the sandbox', () => {
  it('nightly-backup.yml backs up every source and prunes; restore-drill.yml restores the newest backups and proves them', async () => {
    const nightly = await runExample('nightly-backup.yml', 'backup')
    expect(nightly.map((r) => [r.name, r.kind, r.exitCode]), log()).toEqual([
      ['your-org/dokku-stack/actions/backup-run@v1', 'action', 0],
      ['your-org/dokku-stack/actions/backup-run@v1', 'action', 0],
      ['Alert on failure', 'skipped', 0]
    ])
    const backup = step(nightly, 'backup')?.outputs ?? {}
    expect(backup).toMatchObject({ count: '4', failed: '0' })
    const entries = JSON.parse(backup.backups ?? '[]') as Array<{ source: string; outcome: string }>
    expect(Object.fromEntries(entries.map((e) => [e.source, e.outcome]))).toEqual({
      'postgres:uro-db': 'backed up',
      'redis:uro-redis': 'backed up',
      [`config:${MAIN_JOB_APP}`]: 'backed up',
      [`bucket:${UPLOADS}`]: 'backed up'
    })
    const keys = await storedKeys()
    for (const [kind, name] of SOURCES) expect(manifestsOf(keys, kind, name), `${kind}:${name} in ${keys.join(', ')}`).toHaveLength(1)
    expect(nightly[1]?.outputs).toMatchObject({ failed: '0', pruned: '0' })

    const drill = await runExample('restore-drill.yml', 'drill')
    expect(drill.map((r) => [r.name, r.kind, r.exitCode]), log()).toEqual([
      ['your-org/dokku-stack/actions/backup-run@v1', 'action', 0],
      ['Recovery point no older than 26 hours', 'run', 0],
      ['Alert on failure', 'skipped', 0]
    ])
    const verified = step(drill, 'drill')?.outputs ?? {}
    expect(verified).toMatchObject({ failed: '0' })
    expect(Number(verified['recovery-point-age'])).toBeGreaterThanOrEqual(0)
    expect(step(drill, 'Recovery point no older than 26 hours')?.log).toContain(`Oldest newest-backup: ${verified['recovery-point-age']}s`)
    const drilled = JSON.parse(verified.backups ?? '[]') as Array<{ source: string; outcome: string; detail: string }>
    expect(drilled.map((e) => e.source).sort()).toEqual(['bucket:uro-uploads', 'config:uro', 'postgres:uro-db', 'redis:uro-redis'])
    // The databases were restored into scratch services and counted against their manifests.
    expect(drilled.find((e) => e.source === 'postgres:uro-db')?.detail, JSON.stringify(drilled)).toMatch(/users.*120|120.*users|120 rows/)
    expect(drilled.find((e) => e.source === 'redis:uro-redis')?.detail, JSON.stringify(drilled)).toMatch(/5 keys/)
    // and the scratch services are gone again.
    expect((await dokku('postgres:list')).stdout.split('\n').filter((l) => /^\S+$/.test(l.trim()) && l.trim() !== 'NAME')).toEqual(['uro-db'])
    expect((await dokku('redis:list')).stdout.split('\n').filter((l) => /^\S+$/.test(l.trim()) && l.trim() !== 'NAME')).toEqual(['uro-redis'])
  }, 600_000)

  it('nightly-backup.yml with the store stopped: only its source fails, the others are backed up, and the alert runs', async () => {
    const before = await storedKeys()
    expect((await dokku(`ps:stop ${STORE}`)).code).toBe(0)
    let nightly: StepRecord[]
    try {
      nightly = await runExample('nightly-backup.yml', 'backup')
    } finally {
      expect((await dokku(`ps:start ${STORE}`)).code).toBe(0)
    }
    expect(nightly.map((r) => [r.name, r.kind, r.exitCode === 0]), log()).toEqual([
      ['your-org/dokku-stack/actions/backup-run@v1', 'action', false],
      // Retention does not run after a failed backup.
      ['your-org/dokku-stack/actions/backup-run@v1', 'skipped', true],
      ['Alert on failure', 'run', true]
    ])
    const backup = step(nightly, 'backup')
    expect(backup?.outputs).toMatchObject({ count: '3', failed: '1' })
    const outcomes = Object.fromEntries((JSON.parse(backup?.outputs.backups ?? '[]') as Array<{ source: string; outcome: string }>).map((e) => [e.source, e.outcome]))
    expect(outcomes).toEqual({ 'postgres:uro-db': 'backed up', 'redis:uro-redis': 'backed up', [`config:${MAIN_JOB_APP}`]: 'backed up', [`bucket:${UPLOADS}`]: 'failed' })
    // The step's failure names the source that failed.
    expect(backup?.log).toMatch(/ERROR: backup-run failed: 1 of 4 source\(s\) failed:\nbucket:uro-uploads: The source bucket "uro-uploads" at \S+ cannot be reached \(connect ECONNREFUSED/)
    const after = await storedKeys()
    for (const [kind, name] of SOURCES) expect(manifestsOf(after, kind, name).length - manifestsOf(before, kind, name).length, `${kind}:${name}`).toBe(kind === 'bucket' ? 0 : 1)
    const calls = await readFile(join(work, 'gh-calls'), 'utf8')
    expect(calls).toContain('issue create --repo your-org/uro --title Nightly backup failed')
  }, 600_000)

  it('printed no secret the workflows were given or the host generated', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(8)
    const hits = scanText('the example workflows’ log', log(), secrets)
    expect(hits, describeHits(hits)).toEqual([])
  })
})
