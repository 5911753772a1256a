// Shared pieces of the dokku-service integration tests: run the action in-process the way the
// runner does (inputs by name, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, stdout captured), deploy a
// tiny app with a real git push, and read what the sandbox host did (restarts, commands).
import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { run } from '../../../src/actions/dokku-service/main.js'
import type { Sandbox, SandboxUserName } from '../../sandbox/harness/sandbox.ts'
import { runAction, type ActionRun } from '../../support/action-run.js'
import { runBundle as runActionBundle, type BundleRun } from '../../support/bundle-run.js'

const exec = promisify(execFile)

export type ServiceRun = ActionRun

export function inputsFor(sandbox: Sandbox, extra: Record<string, string>, user: SandboxUserName = 'dokku'): Record<string, string> {
  return {
    host: sandbox.host,
    'ssh-port': String(sandbox.port),
    'ssh-user': user,
    'ssh-private-key': sandbox.users[user].privateKey,
    'ssh-host-key': sandbox.knownHostsLine,
    ...extra
  }
}

/** Runs the action in-process the way the runner does (see test/support/action-run.ts). */
export function runService(inputs: Record<string, string>): Promise<ServiceRun> {
  return runAction(run, inputs)
}

/** The dokku commands a run sent that can change something (reads left out), as the client shows them. */
export function changingCommands(log: string): string[] {
  const reads = /^(version|plugin:list|apps:exists|network:exists|config:export|config:get|storage:list|[a-z-]+:report|postgres:(exists|info)|redis:(exists|info)|--quiet)\b/
  return log
    .split('\n')
    .filter((line) => line.startsWith('debug: running dokku '))
    .map((line) => line.slice('debug: running dokku '.length).replace(/'/g, ''))
    .filter((command) => !reads.test(command))
}

/** A tiny app, deployed with a real `git push` (the first push creates it). */
export async function deployTinyApp(sandbox: Sandbox, app: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dokku-service-app-'))
  const env = { ...sandbox.gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' }
  try {
    await exec('git', ['-C', dir, 'init', '-q', '-b', 'main'], { env })
    await writeFile(join(dir, 'index.txt'), `${app}\n`)
    await exec('git', ['-C', dir, 'add', '-A'], { env })
    await exec('git', ['-C', dir, 'commit', '-q', '-m', 'tiny app'], { env })
    await exec('git', ['-C', dir, 'push', '-q', sandbox.remoteUrl(app), 'main'], { env, timeout: 120_000 })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The process id of the app's running web container: it changes exactly when the app restarts. */
export async function containerPid(sandbox: Sandbox, app: string): Promise<number> {
  return (JSON.parse(await readFile(join(sandbox.root, 'state', 'apps', app, 'container.json'), 'utf8')) as { pid: number }).pid
}

/** How many times the app was restarted (`ps:restart` deploy records of the 0.38 build capture). */
export async function restarts(sandbox: Sandbox, app: string): Promise<number> {
  const dir = join(sandbox.root, 'state', 'builds', app)
  let files: string[]
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'))
  } catch {
    return 0
  }
  const records = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as { source: string }))
  return records.filter((r) => r.source === 'ps:restart').length
}

/** The environment the app's running container really has. */
export async function liveEnv(sandbox: Sandbox, app: string): Promise<Record<string, string>> {
  const response = await fetch(`${await sandbox.appUrl(app)}/__sandbox/env`)
  return (await response.json()) as Record<string, string>
}

export async function dokku(sandbox: Sandbox, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return sandbox.ssh('dokku', command, { stdin: '' })
}

export async function config(sandbox: Sandbox, app: string): Promise<Record<string, string>> {
  return JSON.parse((await dokku(sandbox, `config:export --format json ${app}`)).stdout) as Record<string, string>
}

/** `psql -c sql` against a URL; throws with psql's error text. */
export function psql(url: string, sql: string): string {
  const result = spawnSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8', timeout: 30_000 })
  if (result.status !== 0) throw new Error(result.stderr)
  return result.stdout.trim()
}

/** Spawns dist/dokku-service/index.js as the runner does. */
export function runBundle(inputs: Record<string, string>): Promise<BundleRun> {
  return runActionBundle('dokku-service', inputs)
}
