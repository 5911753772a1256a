// A failed run must end (issue 17): each action's committed bundle, spawned the way the runner does
// it, fails on every error path that can happen while a remote command is in flight, and then
// ends: non-zero, the error on the job log, its SSH sessions gone from the host. Before the fix,
// backup-run with a missing bucket printed its error and then ran until the job's time limit:
// the SSH connection opened beside the bucket check was never closed.
//
// The bound is on the time between the `::error::` line and the process's end, and generous
// (a loaded machine must pass): the claim is "ends", not "fast". The times measured are printed.
//
// A sandbox host of its own: its sshd's sessions are this file's alone to count, and its Dokku
// version can be changed for the unsupported-host case without touching the shared one.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/actions.ts'
import { ageKeys, psql, type AgeKeys } from './backup-run/helpers.ts'
import { startSandbox, type Sandbox } from '../sandbox/harness/sandbox.ts'
import { createSandboxBucket } from '../support/sandbox-s3.ts'
import { recordReliability } from '../support/reliability.ts'

/** How long a failed run may take to end once it has reported its failure. */
const ENDS_WITHIN_MS = 30_000
/** Until the failure is reported (a loaded machine is slow to get there; that is not the point here). */
const REPORTS_WITHIN_MS = 150_000
const TEST_TIMEOUT_MS = REPORTS_WITHIN_MS + ENDS_WITHIN_MS + 30_000

let sandbox: Sandbox
let work: string
let keys: AgeKeys
let otherKeys: AgeKeys
const bucket = 'ends-backups'
const service = 'ends_pg'

interface Ended {
  code: number | null
  signal: NodeJS.Signals | null
  log: string
  /** The `::error::` line, decoded (%0A → newline). */
  error: string
  /** ms from the `::error::` line to the exit; undefined when no error was printed. */
  endedAfterErrorMs: number | undefined
  /** True when the process had to be killed: it did not end by itself. */
  killed: boolean
}

/** Spawns dist/<action>/index.js with INPUT_* variables; kills it if it outlives its failure by ENDS_WITHIN_MS. */
function runBundle(action: string, inputs: Record<string, string>): Promise<Ended> {
  const dir = mkdtempSync(join(work, 'run-'))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    RUNNER_TEMP: dir,
    RUNNER_DEBUG: '1',
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary')
  }
  writeFileSync(join(dir, 'output'), '')
  writeFileSync(join(dir, 'summary'), '')
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', action, 'index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    let errorAt: number | undefined
    let killed = false
    const kill = (): void => {
      killed = true
      child.kill('SIGKILL')
    }
    let deadline = setTimeout(kill, REPORTS_WITHIN_MS)
    const read = (chunk: Buffer): void => {
      log += chunk.toString('utf8')
      if (errorAt === undefined && /^::error::/m.test(log)) {
        errorAt = performance.now()
        clearTimeout(deadline)
        deadline = setTimeout(kill, ENDS_WITHIN_MS)
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(deadline)
      rmSync(dir, { recursive: true, force: true })
      const error = (/^::error::(.*)$/m.exec(log)?.[1] ?? '').replace(/%0A/g, '\n').replace(/%25/g, '%')
      resolve({ code, signal, log, error, endedAfterErrorMs: errorAt === undefined ? undefined : Math.round(performance.now() - errorAt), killed })
    })
  })
}

/** Children of the sandbox's sshd listener: one per SSH connection still open on the host. */
function sshSessions(): number[] {
  const listener = Number(readFileSync(join(sandbox.root, 'sshd', 'sshd.pid'), 'utf8').trim())
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === listener && fields[0] !== 'Z') children.push(Number(entry))
    } catch {
      // gone while we looked
    }
  }
  return children
}

/** Waits (bounded) until no SSH session is left on the host. */
async function noSessionLeft(): Promise<number[]> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const left = sshSessions()
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The assertions every failed run must pass; prints the time it took to end. */
async function expectEnded(what: string, run: Ended, message: RegExp): Promise<void> {
  console.log(`${what}: exit ${run.code ?? run.signal} ${run.endedAfterErrorMs ?? '?'} ms after its error`)
  const left = await noSessionLeft()
  recordReliability('failed-run-ends', what, { tried: 1, held: !run.killed && run.code === 1 && message.test(run.error) && left.length === 0 ? 1 : 0 })
  expect(run.killed, `${what} did not end by itself within ${ENDS_WITHIN_MS / 1000} s of its error:\n${run.log.slice(-3000)}`).toBe(false)
  expect(run.code, run.log.slice(-3000)).toBe(1)
  expect(run.error).toMatch(message)
  expect(left, 'SSH sessions still open on the host').toEqual([])
}

function sshInputs(): Record<string, string> {
  return { host: '127.0.0.1', 'ssh-port': String(sandbox.port), 'ssh-private-key': sandbox.users.dokku.privateKey, 'ssh-host-key': sandbox.knownHostsLine }
}

function backupInputs(extra: Record<string, string>): Record<string, string> {
  return {
    ...sshInputs(),
    's3-endpoint': sandbox.s3.endpoint,
    's3-bucket': bucket,
    's3-access-key-id': sandbox.s3.accessKeyId,
    's3-secret-access-key': sandbox.s3.secretAccessKey,
    sources: `postgres:${service}`,
    ...extra
  }
}

/**
 * An S3 endpoint that refuses the run's credentials, as S3 and SeaweedFS answer them (the
 * sandbox's S3 server accepts any key). `writes`: the bucket can be looked at, nothing written,
 * the answer a read-only key gets: the refusal then comes while the dump is streaming.
 */
async function refusingS3(refuse: 'everything' | 'writes'): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume()
    if (refuse === 'writes' && (request.method === 'HEAD' || request.method === 'GET')) {
      response.writeHead(request.method === 'HEAD' ? 200 : 404, { 'content-type': 'application/xml' })
      response.end(request.method === 'HEAD' ? undefined : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>')
      return
    }
    const [code, message] = refuse === 'writes' ? ['AccessDenied', 'Access Denied'] : ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.']
    response.writeHead(403, { 'content-type': 'application/xml' })
    response.end(request.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'failed-run-ends-'))
  sandbox = await startSandbox({ plugins: ['postgres'] })
  ;[keys, otherKeys] = await Promise.all([ageKeys(), ageKeys()])
  await createSandboxBucket(sandbox, bucket)
  expect((await sandbox.ssh('dokku', `postgres:create ${service}`)).code).toBe(0)
  // One complete backup, for the restore with the wrong key.
  const backup = await runBundle('backup-run', backupInputs({ 'age-recipients': keys.recipient }))
  expect(backup.code, backup.log).toBe(0)
}, 240_000)

afterAll(async () => {
  await sandbox?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
}, 60_000)

describe('a failed run ends, with no SSH session left on the host', () => {
  it('backup-run: the destination bucket does not exist (the connection was being opened beside the check)', async () => {
    const run = await runBundle('backup-run', backupInputs({ 's3-bucket': 'no-such-bucket', 'age-recipients': keys.recipient }))
    await expectEnded('bucket missing', run, /^backup-run failed: The destination bucket "no-such-bucket" at .* does not exist\.$/)
  }, TEST_TIMEOUT_MS)

  it('backup-run: the destination refuses the credentials', async () => {
    const refusing = await refusingS3('everything')
    try {
      const run = await runBundle('backup-run', backupInputs({ 's3-endpoint': refusing.endpoint, 'age-recipients': keys.recipient }))
      await expectEnded('credentials refused', run, /^backup-run failed: The destination bucket "ends-backups" at .* refuses these credentials \(403\)\.$/)
    } finally {
      refusing.server.close()
    }
  }, TEST_TIMEOUT_MS)

  it('backup-run: the destination refuses the upload while the dump streams (a read-only key)', async () => {
    const refusing = await refusingS3('writes')
    try {
      const run = await runBundle('backup-run', backupInputs({ 's3-endpoint': refusing.endpoint, 'age-recipients': keys.recipient }))
      expect(run.log).toContain(`running dokku postgres:export ${service}`)
      await expectEnded('upload refused', run, /^backup-run failed: 1 of 1 source\(s\) failed:\npostgres:ends_pg: .*Access Denied/)
    } finally {
      refusing.server.close()
    }
  }, TEST_TIMEOUT_MS)

  it('backup-run: the age identity does not open the backup, found while postgres:connect waits for the restore script', async () => {
    const run = await runBundle('backup-run', backupInputs({ mode: 'restore', target: `postgres:${service}_copy`, 'age-identity': otherKeys.identity }))
    expect(run.log).toContain(`running dokku postgres:connect ${service}_copy`)
    await expectEnded('encryption key invalid', run, /^backup-run failed: 1 of 1 source\(s\) failed:\npostgres:ends_pg: no identity matched any of the file's recipients/)
  }, TEST_TIMEOUT_MS)

  it('backup-run: the remote command fails (export of a service whose database is gone)', async () => {
    // A missing service no longer reaches the host: the plan finds it first. A service that is
    // listed but whose database was dropped under it makes the export itself fail on the host.
    const broken = 'ends_broken'
    expect((await sandbox.ssh('dokku', `postgres:create ${broken}`)).code).toBe(0)
    const database = new URL(await sandbox.realPostgresUrl(broken)).pathname.slice(1)
    await psql(sandbox.postgresAdminUrl, `DROP DATABASE "${database}" WITH (FORCE)`)
    const run = await runBundle('backup-run', backupInputs({ sources: `postgres:${broken}`, 'age-recipients': keys.recipient }))
    expect(run.log).toContain(`running dokku postgres:export ${broken}`)
    await expectEnded('export fails', run, /^backup-run failed: 1 of 1 source\(s\) failed:\npostgres:ends_broken: `dokku postgres:export ends_broken` exited with code 1:\npg_dump: error: .*database "ends_broken" does not exist/)
  }, TEST_TIMEOUT_MS)

  it('backup-run: a source that does not exist fails before any command is sent for it', async () => {
    const run = await runBundle('backup-run', backupInputs({ sources: 'postgres:ends_missing', 'age-recipients': keys.recipient }))
    expect(run.log).not.toContain('postgres:export')
    await expectEnded('source missing', run, /^backup-run failed: 1 of 1 source\(s\) failed:\npostgres:ends_missing: postgres service ends_missing does not exist on the host/)
  }, TEST_TIMEOUT_MS)

  it('backup-run and dokku-service: the host runs an unsupported Dokku (the export started beside `dokku version`)', async () => {
    const config = join(sandbox.root, 'sandbox.json')
    const saved = readFileSync(config, 'utf8')
    writeFileSync(config, saved.replace(/"dokkuVersion": "[^"]+"/, '"dokkuVersion": "0.30.1"'))
    try {
      expect((await sandbox.ssh('dokku', 'version')).stdout).toBe('dokku version 0.30.1\n')
      const unsupported = /The Dokku host runs version 0\.30\.1, older than 0\.32\.0, the oldest version dokku-stack supports\./
      const backup = await runBundle('backup-run', backupInputs({ 'age-recipients': keys.recipient }))
      expect(backup.log).toContain(`running dokku postgres:export ${service}`)
      await expectEnded('host version unsupported (backup-run)', backup, unsupported)
      const provision = await runBundle('dokku-service', { ...sshInputs(), engine: 'postgres', service })
      await expectEnded('host version unsupported (dokku-service)', provision, unsupported)
    } finally {
      writeFileSync(config, saved)
    }
  }, 2 * TEST_TIMEOUT_MS)

  it('dokku-deploy: the build fails on the host during git:from-image', async () => {
    const run = await runBundle('dokku-deploy', { ...sshInputs(), app: 'ends-app', source: 'image', image: 'ghcr.io/acme/fail-build:1' })
    await expectEnded('deploy fails mid-command', run, /^dokku-deploy failed: `dokku git:from-image ends-app ghcr\.io\/acme\/fail-build:1` exited with code 1/)
  }, TEST_TIMEOUT_MS)

  it('dokku-service: the node image fails to deploy mid-recipe', async () => {
    const run = await runBundle('dokku-service', {
      ...sshInputs(),
      engine: 'cockroach',
      service: 'ends-crdb',
      image: 'ghcr.io/acme/fail-build-crdb',
      'image-version': 'v22.1.22'
    })
    await expectEnded('service fails mid-command', run, /^dokku-service failed: `dokku git:from-image ends-crdb ghcr\.io\/acme\/fail-build-crdb:v22\.1\.22` exited with code 1/)
  }, TEST_TIMEOUT_MS)
})
