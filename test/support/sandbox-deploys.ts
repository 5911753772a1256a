// What the concurrency and soak tests (test/integration/reliability/) need to run dokku-deploy
// against the shared sandbox host: a deploy started in this process with its own logger, a build
// that ends when the test says so, and the state of the app's deploy lock.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { deploy, type DeployHooks, type DeployResult } from '../../src/actions/dokku-deploy/deploy.js'
import { readDeployInputs, type DeployConfig } from '../../src/actions/dokku-deploy/inputs.js'
import { DEPLOY_MUTEX_REF } from '../../src/core/git/deploy-mutex.js'
import { RecordingLogger } from '../../src/core/log.js'
import type { Sandbox } from '../sandbox/harness/sandbox.ts'
import { captureStdout, inputsFrom } from './inputs.js'

const exec = promisify(execFile)

/** The inputs that reach the sandbox as the dokku user, for `app`, with `extra` on top. */
export function sandboxDeployInputs(sandbox: Sandbox, app: string, extra: Record<string, string> = {}): Record<string, string> {
  return { host: sandbox.host, 'ssh-port': String(sandbox.port), 'ssh-private-key': sandbox.users.dokku.privateKey, 'ssh-host-key': sandbox.knownHostsLine, app, ...extra }
}

export interface StartedDeploy {
  logger: RecordingLogger
  result: Promise<DeployResult>
}

/** Starts a dokku-deploy of `ref` (a commit of the checkout in `workdir`) the way a push event would. */
export function startDeploy(sandbox: Sandbox, app: string, ref: string, workdir: string, extra: Record<string, string> = {}, hooks: DeployHooks = {}): StartedDeploy {
  let config!: DeployConfig
  // The reader masks the key (::add-mask:: on stdout): kept out of the test's output.
  captureStdout(() => {
    config = readDeployInputs(inputsFrom(sandboxDeployInputs(sandbox, app, { ref, path: workdir, ...extra })), { eventName: 'push', sha: ref, pullRequest: undefined, workspace: workdir })
  })
  const logger = new RecordingLogger()
  return { logger, result: deploy(config, logger, hooks) }
}

/**
 * A build that runs until the test opens its gate (the simulator's `.sandbox/build-until` knob): a
 * commit carrying `files` builds only once `open()` was called, so a test decides what overlaps
 * with it instead of racing a build of fixed length.
 */
export interface BuildGate {
  files: Record<string, string>
  open(): Promise<void>
}

export function buildGate(sandbox: Sandbox, name: string): BuildGate {
  const path = join(sandbox.root, 'tmp', `build-gate-${name}-${randomBytes(4).toString('hex')}`)
  return { files: { '.sandbox/build-until': path }, open: () => writeFile(path, '') }
}

/**
 * The image form of a build gate (the simulator's `build-hold-<token>` knob): an image whose reference
 * carries `build-hold-<token>` builds at once, but a build of it started after `hold()` waits until
 * `release()`, so a test can keep a rebuild of a running image going while it collides with it.
 */
export interface ImageBuildHold {
  /** Goes into the image's name, e.g. `registry.example/acme/web-${token}@sha256:…`. */
  token: string
  hold(): Promise<void>
  release(): Promise<void>
}

export function imageBuildHold(sandbox: Sandbox): ImageBuildHold {
  const token = `build-hold-${randomBytes(4).toString('hex')}`
  const path = join(sandbox.root, 'tmp', token)
  return { token, hold: () => writeFile(path, ''), release: () => rm(path, { force: true }) }
}

/**
 * Whether the app's own build is running (say, held at its gate). Every push runs Dokku's git-hook,
 * which records a build, so the deploy mutex's ref push shows up as a running "build" for a moment
 * before the lock is even held: the app's build is the one whose log says it is building the app.
 */
export async function appBuildRunning(sandbox: Sandbox, app: string): Promise<boolean> {
  const listed = await sandbox.ssh('dokku', `builds:list ${app} --status running --format json`)
  const running = JSON.parse(listed.stdout.trim() || '[]') as Array<{ log_path?: string }>
  const logs = await Promise.all(running.map((build) => (build.log_path ? readFile(build.log_path, 'utf8').catch(() => '') : '')))
  return logs.some((log) => log.includes(`Building ${app} from`))
}

/** The sha of the app's deploy lock ref, '' when no run holds it. */
export async function deployLockRef(sandbox: Sandbox, app: string): Promise<string> {
  return (await exec('git', ['ls-remote', sandbox.remoteUrl(app), DEPLOY_MUTEX_REF], { env: sandbox.gitEnv() })).stdout.trim()
}

/** The commit (or image) the app's container answers with, from its response header. */
export async function deployedNow(sandbox: Sandbox, app: string): Promise<string | null> {
  const response = await fetch(`${await sandbox.appUrl(app)}/`)
  await response.body?.cancel()
  return response.headers.get('x-sandbox-deployed')
}
