// The root action against the shared sandbox host: a stack file written for the test, the sample
// app's checkout as the workspace, and the simulator's argv log to prove which commands ran.
import { statSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../../src/actions/stack/main.js'
import type { Sandbox } from '../../sandbox/harness/sandbox.ts'
import { argvLogPath, readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { runAction, type ActionRun } from '../../support/action-run.js'
import { inputsFor } from '../dokku-service/helpers.js'

/** Commands that only read: everything else the simulator received changes something. */
const READS = /^(version|plugin:list|apps:(exists|list|report)|network:(exists|report)|config:(export|get|show|keys)|storage:(list|report)|[a-z-]+:report|(postgres|redis):(exists|info|list|links)|caddy:(labels:show|logs)|scheduler:.*report|git:report)$/

/** The commands from byte `offset` of the argv log that change something and name one of `names` (without `names`: every one). */
export function writesSince(sandbox: Sandbox, offset: number, names?: readonly string[]): string[] {
  return readArgvLog(sandbox.root, offset)
    .map((record) => record.argv.filter((arg) => arg !== '--quiet'))
    .filter((argv) => names === undefined || argv.some((arg) => names.some((name) => arg.includes(name))))
    .filter((argv) => {
      const command = argv[0] ?? ''
      if (READS.test(command)) return false
      // The store's health wait asks its master and volume server from inside the container (docs/seaweedfs.md#health).
      if (command === 'enter' && argv.includes('wget')) return false
      // ps:scale without counts reads the scale.
      if (command === 'ps:scale' && !argv.some((arg) => arg.includes('='))) return false
      return true
    })
    .map((argv) => argv.join(' '))
}

/** The read commands from byte `offset` of the argv log, in the order the simulator received them. */
export function readsSince(sandbox: Sandbox, offset: number): string[][] {
  return readArgvLog(sandbox.root, offset)
    .map((record) => record.argv.filter((arg) => arg !== '--quiet'))
    .filter((argv) => READS.test(argv[0] ?? ''))
}

export function argvOffset(sandbox: Sandbox): number {
  try {
    return statSync(argvLogPath(sandbox.root)).size
  } catch {
    return 0
  }
}

export async function writeStackFile(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'stack-file-')), 'dokku-stack.yml')
  await writeFile(path, text)
  return path
}

/** Runs the root action in-process with the sandbox's SSH inputs, the checkout as workspace and `env` set meanwhile. */
export async function runStack(
  sandbox: Sandbox,
  extra: Record<string, string>,
  workspace: { dir: string; sha?: string },
  env: Record<string, string> = {}
): Promise<ActionRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    return await runAction(run, inputsFor(sandbox, { verify: 'false', ...extra }), { workspace: workspace.dir, sha: workspace.sha })
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
}
