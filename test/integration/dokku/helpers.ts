// Shared set-up for the DokkuClient integration tests: the client connected over the real sshd of a
// sandbox host, exactly as the actions connect (pinned host key, the dokku user's forced command or
// a root shell), with a RecordingLogger so that tests can assert what was and was not logged.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { DokkuClient } from '../../../src/core/dokku/index.js'
import type { SshSettings } from '../../../src/core/ssh/settings.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { connectSsh, type SshExecutor } from '../../../src/core/ssh/connection.js'
import { parseHostKeyPins } from '../../../src/core/ssh/host-key.js'
import type { Sandbox, SandboxUserName, SshResult } from '../../sandbox/harness/sandbox.ts'

export interface Connected {
  dokku: DokkuClient
  logger: RecordingLogger
  executor: SshExecutor
}

const open: SshExecutor[] = []
afterAll(async () => {
  await Promise.all(open.splice(0).map((executor) => executor.close()))
})

export function sshSettings(sandbox: Sandbox, user: SandboxUserName = 'dokku'): SshSettings {
  return {
    host: sandbox.host,
    port: sandbox.port,
    user,
    privateKey: sandbox.users[user].privateKey,
    passphrase: undefined,
    hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', sandbox.knownHostsLine) },
    shell: user === 'root' ? 'root-shell' : 'dokku-forced-command'
  }
}

/** A DokkuClient over a fresh SSH connection (closed after the file's tests). */
export async function connect(sandbox: Sandbox, user: SandboxUserName = 'dokku'): Promise<Connected> {
  const logger = new RecordingLogger()
  const executor = await connectSsh(sshSettings(sandbox, user), { logger, retries: 2, backoffMs: 200 })
  open.push(executor)
  const dokku = await DokkuClient.create(executor, logger)
  return { dokku, logger, executor }
}

/**
 * For a test file: connects before its tests (handing the client to `use`) and returns `newApp`,
 * which creates an app with a unique name that is destroyed after them.
 */
export function clientWithApps(sandbox: Sandbox, use: (connected: Connected) => void): (base: string) => Promise<string> {
  let dokku: DokkuClient | undefined
  const apps: string[] = []
  beforeAll(async () => {
    const connected = await connect(sandbox)
    dokku = connected.dokku
    use(connected)
  })
  afterAll(async () => {
    for (const app of apps) await dokku?.apps.destroy(app)
  })
  return async (base) => {
    const app = unique(base)
    await (dokku as DokkuClient).apps.create(app)
    apps.push(app)
    return app
  }
}

/** A unique name for this run, `cl-<base>-<hex>`: the shared sandbox is shared by files running in parallel. */
export function unique(base: string): string {
  return `cl-${base}-${randomBytes(3).toString('hex')}`
}

/** Runs a raw dokku command over the real OpenSSH client: to check what the client did, independently of it. */
export function raw(sandbox: Sandbox, command: string, user: SandboxUserName = 'dokku'): Promise<SshResult> {
  return sandbox.ssh(user, user === 'root' ? `dokku ${command}` : command, { stdin: '', timeoutMs: 60_000 })
}

/** The rejection of `promise`, or a failure when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** The app's most recent build record (`builds:report`), as Dokku reports it. */
export interface BuildRecord {
  readonly id: string
  readonly kind: string
  readonly status: string
  readonly source: string
  readonly exitCode: number | undefined
  readonly startedAt: string
}

/**
 * Reads the app's most recent build over the real OpenSSH client: the actions never read build
 * records, so the client has no method for it, and the tests check deploys through Dokku's own report.
 */
export async function lastBuild(sandbox: Sandbox, app: string): Promise<BuildRecord> {
  const result = await raw(sandbox, `builds:report ${app} --format json`)
  if (result.code !== 0) throw new Error(`builds:report ${app} exited ${result.code}: ${result.stderr}`)
  const report = JSON.parse(result.stdout) as Record<string, string | undefined>
  const exitCode = report['build-exit-code'] ?? ''
  return {
    id: report['build-id'] ?? '',
    kind: report['build-kind'] ?? '',
    status: report['build-status'] ?? '',
    source: report['build-source'] ?? '',
    exitCode: /^-?\d+$/.test(exitCode) ? Number(exitCode) : undefined,
    startedAt: report['build-started-at'] ?? ''
  }
}
