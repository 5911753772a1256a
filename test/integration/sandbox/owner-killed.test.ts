// A sandbox host never outlives the process that started it, even one killed by SIGKILL (no
// handler runs): the parent-death signal takes the servers down, and the sandbox's watchdog ends
// everything else — an SSH session with a command in flight (sshd's session processes, the
// simulator's node, psql and its PostgreSQL backend), a Redis server the simulator started in the
// background, a process that only carries the sandbox's environment — and removes the directory.
// Without another sandbox starting afterwards: at the end of a test run, none does.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { findSandboxProcesses, isRunning, recordedPids, tiedToThisProcess } from '../../sandbox/harness/processes.ts'
import { connectSandbox, node24, REPO_ROOT, type SandboxInfo } from '../../sandbox/harness/sandbox.ts'

const HARNESS = join(REPO_ROOT, 'test', 'sandbox', 'harness', 'sandbox.ts')

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return condition()
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

function pidIn(path: string): number[] {
  try {
    return [Number(readFileSync(path, 'utf8').trim().split('\n')[0])]
  } catch {
    return []
  }
}

describe('a sandbox whose owner is killed by SIGKILL', () => {
  it('is gone entirely within a bounded wait: servers, sessions in flight, background processes, the directory', async () => {
    const script = [
      `import { startSandbox } from ${JSON.stringify(HARNESS)}`,
      'const sandbox = await startSandbox()',
      'console.log(JSON.stringify(sandbox.info))',
      'setInterval(() => {}, 1000)'
    ].join('\n')
    // A temporary directory of its own: another sandbox starting meanwhile (another test file)
    // removes abandoned sandboxes under the shared one, and must not do the watchdog's work here.
    const tmp = await mkdtemp(join(tmpdir(), 'owner-killed-'))
    await chmod(tmp, 0o755)
    const owner = spawn(...tiedToThisProcess(node24(), ['--no-warnings', '--input-type=module', '-e', script]), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } })
    const ownerExited = new Promise<unknown>((resolve) => owner.once('exit', resolve))
    const first = await createInterface({ input: owner.stdout })[Symbol.asyncIterator]().next()
    const info = JSON.parse(first.value as string) as SandboxInfo
    let session: ReturnType<typeof spawn> | undefined
    try {
      const sandbox = connectSandbox(info)
      const { root } = info

      // A Redis server in the background, and a session with a command in flight: psql waiting on
      // its stdin, behind the forced command, the simulator and sshd's session processes.
      expect((await sandbox.ssh('dokku', 'redis:create ownerkill_cache')).code).toBe(0)
      expect((await sandbox.ssh('dokku', 'postgres:create ownerkill_pg')).code).toBe(0)
      const ssh = spawn(
        'ssh',
        ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${info.knownHostsPath}`, '-o', 'IdentitiesOnly=yes', '-i', info.users.dokku.privateKeyPath, '-T', '-p', String(info.port), 'dokku@127.0.0.1', 'postgres:connect ownerkill_pg'],
        { stdio: ['pipe', 'ignore', 'ignore'] }
      )
      session = ssh
      const sessionEnded = new Promise<unknown>((resolve) => ssh.once('exit', resolve))
      ssh.stdin.on('error', () => undefined)
      // Once psql runs, the whole chain is up.
      expect(await waitFor(() => findSandboxProcesses(root).some((pid) => commandLine(pid).includes('/psql')), 30_000)).toBe(true)
      // A process the kernel will not take down with the owner, known only by its environment.
      const stray = spawn('sleep', ['303'], { env: { ...process.env, DOKKU_SANDBOX_ROOT: root }, stdio: 'ignore', detached: true })
      stray.unref()

      const watchdog = pidIn(join(root, 'watchdog.pid'))
      const pids = [
        ...new Set([
          ...pidIn(join(root, 'sshd', 'sshd.pid')),
          ...pidIn(join(root, 'pg', 'data', 'postmaster.pid')),
          ...recordedPids(join(root, 'run')),
          ...findSandboxProcesses(root),
          ...watchdog
        ])
      ].filter(isRunning)
      expect(watchdog.length).toBe(1)
      expect(pids).toContain(stray.pid)
      // sshd, its session, the simulator, psql, PostgreSQL and its helpers, redis, S3, the stray, the watchdog
      expect(pids.length).toBeGreaterThanOrEqual(10)

      owner.kill('SIGKILL')
      await ownerExited
      const killedAt = performance.now()
      const gone = await waitFor(() => pids.every((pid) => !isRunning(pid)) && !existsSync(root), 30_000)
      console.log(`${pids.length} processes and the directory ${gone ? 'gone' : 'NOT gone'} ${Math.round(performance.now() - killedAt)} ms after the owner's SIGKILL`)
      expect(pids.filter(isRunning), 'still running').toEqual([])
      expect(gone).toBe(true)
      expect(findSandboxProcesses(root)).toEqual([])
      // The host is gone, and with it the session: the client sees its connection closed.
      await sessionEnded
      ssh.stdin.destroy()
    } finally {
      // Whatever failed above, the owner must not outlive the test (its watchdog then cleans up).
      owner.kill('SIGKILL')
      session?.kill('SIGKILL')
      await rm(tmp, { recursive: true, force: true })
    }
  }, 120_000)
})
