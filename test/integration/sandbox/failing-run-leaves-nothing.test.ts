// A failing test leaves nothing behind (issue 17, "A failed run must end"): a vitest of its own runs
// fixtures/failing-run.fixture.ts with the integration project's globalSetup — the same sandbox
// hosts as `npm test` starts — and fails with a session in flight on its host: by an assertion, by
// a test timeout, or by the runner itself being killed (SIGKILL, no handler runs). Each time the run
// ends by itself (no hang), and afterwards no process of any of its sandbox hosts is running and
// their directories are gone: at the run's exit for a failure, within a bounded wait after a kill.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findSandboxProcesses, isRunning } from '../../sandbox/harness/processes.ts'
import { node24, REPO_ROOT, SANDBOX_DIR_PREFIX } from '../../sandbox/harness/sandbox.ts'
import { recordReliability } from '../../support/reliability.js'
import { waitFor } from '../../support/wait.js'

const FIXTURE = join(REPO_ROOT, 'test', 'integration', 'sandbox', 'fixtures', 'failing-run.fixture.ts')
const CASES = ['assertion', 'timeout', 'killed'] as const
type Case = (typeof CASES)[number]

/** Every sandbox directory under `dir`, with what still runs of it. */
function leftovers(roots: readonly string[]): { root: string; pids: number[]; directory: boolean }[] {
  return roots.map((root) => ({ root, pids: findSandboxProcesses(root).filter(isRunning), directory: existsSync(root) })).filter((r) => r.pids.length > 0 || r.directory)
}

async function failingRun(how: Case): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; roots: string[]; leftAtExit: ReturnType<typeof leftovers>; leftAfterWait: ReturnType<typeof leftovers> }> {
  // Its own temporary directory (world-readable, as the sandbox's logins need): its hosts are the
  // only ones there, and no other sandbox starting meanwhile cleans up after it.
  const tmp = await mkdtemp(join(tmpdir(), 'failing-run-'))
  await chmod(tmp, 0o755)
  const ready = join(tmp, 'ready')
  const config = join(tmp, 'vitest.config.mjs')
  await writeFile(
    config,
    `export default ${JSON.stringify({
      test: {
        root: REPO_ROOT,
        include: [FIXTURE],
        globalSetup: [join(REPO_ROOT, 'test', 'sandbox', 'global-setup.ts')],
        maxWorkers: 1,
        hookTimeout: 60_000,
        reporters: ['default']
      }
    })}\n`
  )
  // The suite's own vitest variables would make the child think it is one of this run's workers.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'))
  const child = spawn(node24(), ['--no-warnings', join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: { ...env, TMPDIR: tmp, FAILING_RUN_CASE: how, FAILING_RUN_READY: ready, FAILING_RUN_TEST_TIMEOUT: how === 'timeout' ? '3000' : '120000' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  let roots: string[] = []
  // Taken the moment the runner exits, before anything else (a watchdog, a parent-death signal) could tidy up.
  let leftAtExit: ReturnType<typeof leftovers> = []
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => {
      leftAtExit = leftovers(roots)
      resolve([code, signal])
    })
  )
  let ended = false
  void exited.then(() => (ended = true))
  try {
    await waitFor(() => existsSync(ready) || ended, { what: `the failing run (${how}) to reach its test`, timeoutMs: 150_000 })
    roots = readdirSync(tmp).filter((name) => name.startsWith(SANDBOX_DIR_PREFIX)).map((name) => join(tmp, name))
    if (how === 'killed') child.kill('SIGKILL')
    // Bounded: a run that does not end by itself is the failure this test exists for.
    await waitFor(() => ended, { what: `the failing run (${how}) to end`, timeoutMs: 150_000 })
    const [code, signal] = await exited
    await waitFor(() => leftovers(roots).length === 0, { what: 'the sandbox hosts to be gone', timeoutMs: 30_000 }).catch(() => undefined)
    return { code, signal, output, roots, leftAtExit, leftAfterWait: leftovers(roots) }
  } finally {
    // Whatever happened above: the run's own processes (vitest, its workers, the fixture's ssh) end here.
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // already gone
    }
    await rm(tmp, { recursive: true, force: true })
  }
}

describe('a failing test run leaves no sandbox process behind', () => {
  it.each(CASES)('%s', async (how) => {
    const run = await failingRun(how)
    const held = (how === 'killed' ? run.signal === 'SIGKILL' : run.code === 1) && run.roots.length > 0 && run.leftAfterWait.length === 0 && (how === 'killed' || run.leftAtExit.length === 0)
    recordReliability('failing-test-leaves-nothing', `test run ended by ${how === 'killed' ? 'SIGKILL of the runner' : `a failing test (${how})`}`, { tried: 1, held: held ? 1 : 0, details: { 'sandbox hosts': run.roots.length } })
    if (how === 'killed') expect(run.signal).toBe('SIGKILL')
    else {
      expect(run.code, run.output.slice(-3000)).toBe(1)
      expect(run.output).toContain(`fails: ${how}`)
      // Torn down before the runner exited: nothing waits on a watchdog.
      expect(run.leftAtExit).toEqual([])
    }
    expect(run.roots.length, run.output.slice(-3000)).toBeGreaterThan(0)
    expect(run.leftAfterWait).toEqual([])
  }, 400_000)
})
