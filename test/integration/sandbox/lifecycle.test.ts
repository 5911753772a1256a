// Starting and stopping sandbox hosts: two side by side, stop() leaves no process and no
// directory (also processes the simulator left in the background), an interrupted or killed
// test process leaves nothing behind, the globalSetup, and `npm run sandbox`. Every sandbox-owning
// child is spawned tied to the test process, so one a failing test did not stop dies with it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import setupSharedSandbox from '../../sandbox/global-setup.ts'
import { findSandboxProcesses, isRunning, recordedPids, tiedToThisProcess } from '../../sandbox/harness/processes.ts'
import { connectSandbox, node24, REPO_ROOT, startSandbox, type Sandbox, type SandboxInfo } from '../../sandbox/harness/sandbox.ts'
import { TEST_WORKERS } from '../../sandbox/workers.ts'

const run = promisify(execFile)
const HARNESS = join(REPO_ROOT, 'test', 'sandbox', 'harness', 'sandbox.ts')

/** PIDs of the sandbox's servers and of everything else /proc ties to its directory. */
function sandboxPids(sandbox: Pick<Sandbox, 'root'>): number[] {
  const pidFromFile = (path: string): number[] => {
    try {
      return [Number(readFileSync(path, 'utf8').split('\n')[0])]
    } catch {
      return []
    }
  }
  return [
    ...new Set([
      ...pidFromFile(join(sandbox.root, 'sshd', 'sshd.pid')),
      ...pidFromFile(join(sandbox.root, 'pg', 'data', 'postmaster.pid')),
      ...recordedPids(join(sandbox.root, 'run')),
      ...findSandboxProcesses(sandbox.root)
    ])
  ].filter(isRunning)
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return condition()
}

/**
 * The first line a child prints, or a clear failure: it exited first, or printed nothing within
 * 120 s (then its processes are listed, to tell a stuck start from a slow one).
 */
async function firstLine(child: ChildProcess, exited: Promise<unknown>, what: () => string): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const line = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]().next().then((r) => r.value as string | undefined)
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 120_000)))
  try {
    const first = await Promise.race([line, exited.then(() => 'exited' as const), late])
    if (first === 'late') throw new Error(`${what()}: no line within 120 s; its processes: ${execFileSync('ps', ['-o', 'pid,stat,etime,args', '--ppid', String(child.pid), '--pid', String(child.pid)], { encoding: 'utf8' })}`)
    if (first === 'exited' || first === undefined) throw new Error(`${what()}: exited before printing a line`)
    return first
  } finally {
    clearTimeout(timer)
  }
}

// Each test starts one or two whole sandbox hosts (a few seconds each on an idle machine): bounded
// generously, so that a loaded machine slows them without failing them.
describe('sandbox lifecycle', { timeout: 240_000 }, () => {
  it('runs two sandboxes side by side and stops each completely', async () => {
    const started = performance.now()
    const [a, b] = await Promise.all([startSandbox(), startSandbox({ dokkuVersion: '0.37.5', plugins: ['postgres'] })])
    console.log(`two sandboxes started in parallel in ${Math.round(performance.now() - started)} ms`)
    try {
      expect(a.root).not.toBe(b.root)
      expect(new Set([a.port, b.port, a.postgres.port, b.postgres.port, Number(new URL(a.s3.endpoint).port), Number(new URL(b.s3.endpoint).port)]).size).toBe(6)
      expect((await a.ssh('dokku', 'version')).stdout).toBe('dokku version 0.38.27\n')
      expect((await b.ssh('dokku', 'version')).stdout).toBe('dokku version 0.37.5\n')
      expect(JSON.parse(readFileSync(join(b.root, 'sandbox.json'), 'utf8'))).toMatchObject({ dokkuVersion: '0.37.5', plugins: ['postgres'], globalDomain: 'sandbox.test' })
      // the host keys differ, so each known_hosts pins its own server
      expect(a.hostKeyFingerprint).not.toBe(b.hostKeyFingerprint)

      // A real git push deploys an app: the simulator starts its web process in the background.
      const source = await mkdtemp(join(tmpdir(), 'sandbox-push-'))
      try {
        const git = (...args: string[]) => run('git', args, { cwd: source, env: a.gitEnv() })
        await git('init', '-q', '-b', 'main')
        await writeFile(join(source, 'Procfile'), 'web: node server.js\n')
        await git('add', 'Procfile')
        await git('-c', 'user.name=Sandbox', '-c', 'user.email=sandbox@example.test', 'commit', '-qm', 'first')
        await git('push', a.remoteUrl('pushed'), 'main')
      } finally {
        await rm(source, { recursive: true, force: true })
      }
      const answer = await fetch(await a.appUrl('pushed'))
      expect(await answer.text()).toMatch(/^pushed [0-9a-f]{40}\n$/)

      // … and a redis service, a real redis-server in the background.
      expect((await a.ssh('dokku', 'redis:create cache1')).code).toBe(0)

      // Something the simulator might leave running in the background: a process known only by
      // the PID it recorded in run/, and one that only inherited the sandbox's environment.
      await a.ssh('root', `sleep 300 </dev/null >/dev/null 2>&1 & echo $! > ${a.root}/run/background.pid`)
      await a.ssh('root', `DOKKU_SANDBOX_ROOT=${a.root} setsid sleep 301 </dev/null >/dev/null 2>&1 &`)
      const recorded = Number(readFileSync(join(a.root, 'run', 'background.pid'), 'utf8'))
      expect(isRunning(recorded)).toBe(true)

      const pidsA = sandboxPids(a)
      const pidsB = sandboxPids(b)
      expect(pidsA).toContain(recorded)
      expect(pidsA.length).toBeGreaterThanOrEqual(7) // sshd, postmaster and its helpers, S3 server, the app, redis, the two sleeps
      expect(pidsA.filter((pid) => pidsB.includes(pid))).toEqual([])

      await a.stop()
      expect(pidsA.filter(isRunning)).toEqual([])
      expect(existsSync(a.root)).toBe(false)
      // b is untouched by a's stop
      expect((await b.ssh('dokku', 'version')).code).toBe(0)
      expect(pidsB.filter(isRunning)).toEqual(pidsB)
      await a.stop() // twice is fine
      await b.stop()
      expect(pidsB.filter(isRunning)).toEqual([])
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
    expect(existsSync(b.root)).toBe(false)
  })

  for (const ending of ['process.exit', 'SIGTERM', 'SIGINT'] as const) {
    it(`leaves nothing when the test process ends by ${ending} without stop()`, async () => {
      const script = [
        `import { startSandbox } from ${JSON.stringify(HARNESS)}`,
        'const sandbox = await startSandbox()',
        'console.log(JSON.stringify({ root: sandbox.root }))',
        // a line on stdin ends it (process.exit) once the test has looked at its processes
        ending === 'process.exit' ? "process.stdin.once('data', () => process.exit(3))" : 'setInterval(() => {}, 1000)'
      ].join('\n')
      const child = spawn(...tiedToThisProcess(node24(), ['--no-warnings', '--input-type=module', '-e', script]), { stdio: ['pipe', 'pipe', 'inherit'] })
      const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
      const [line] = await Promise.race([createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]), exited.then(() => [''])])
      expect(line).toMatch(/"root"/)
      const { root } = JSON.parse(line as string) as { root: string }
      const pids = sandboxPids({ root })
      expect(pids.length).toBeGreaterThanOrEqual(3)
      if (ending === 'process.exit') child.stdin.write('exit\n')
      else child.kill(ending)
      expect(await exited).toBe(ending === 'process.exit' ? 3 : ending)
      expect(await waitFor(() => pids.every((pid) => !isRunning(pid)), 5_000)).toBe(true)
      expect(existsSync(root)).toBe(false)
    })
  }

  it('cleans up after a test process killed by SIGKILL at the next start', async () => {
    const script = [`import { startSandbox } from ${JSON.stringify(HARNESS)}`, 'const sandbox = await startSandbox()', 'console.log(JSON.stringify({ root: sandbox.root }))', 'setInterval(() => {}, 1000)'].join('\n')
    const child = spawn(...tiedToThisProcess(node24(), ['--no-warnings', '--input-type=module', '-e', script]), { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<unknown>((resolve) => child.once('exit', resolve))
    const { root } = JSON.parse(await firstLine(child, exited, () => 'the sandbox started in a child process')) as { root: string }
    // a background process the kernel will not take down with the test process
    await run('bash', ['-c', `DOKKU_SANDBOX_ROOT=${root} setsid sleep 302 </dev/null >/dev/null 2>&1 &`])
    const pids = sandboxPids({ root })
    child.kill('SIGKILL')
    await exited
    // sshd, PostgreSQL and the S3 server die with their parent (parent-death signal); the next
    // sandbox removes what is left of the abandoned one
    const next = await startSandbox({ plugins: [] })
    try {
      expect(existsSync(root)).toBe(false)
      expect(await waitFor(() => pids.every((pid) => !isRunning(pid)), 5_000)).toBe(true)
    } finally {
      await next.stop()
    }
  })

  it('globalSetup provides a connectable sandbox per worker and stops them all in teardown', async () => {
    const provided: Record<string, unknown> = {}
    const project = { provide: (key: string, value: unknown) => (provided[key] = value) }
    const teardown = await setupSharedSandbox(project as unknown as Parameters<typeof setupSharedSandbox>[0])
    const infos = JSON.parse(JSON.stringify(provided.sandboxes)) as SandboxInfo[]
    try {
      expect(infos).toHaveLength(TEST_WORKERS)
      expect(new Set(infos.map((info) => info.root)).size).toBe(TEST_WORKERS)
      for (const info of infos) {
        const sandbox = connectSandbox(info)
        expect((await sandbox.ssh('dokku', 'apps:list')).code).toBe(0)
        expect(sandbox.users.root.privateKey).toContain('OPENSSH PRIVATE KEY')
      }
    } finally {
      await teardown()
    }
    for (const info of infos) expect(existsSync(info.root)).toBe(false)
  })

  it('npm run sandbox: prints the connection as one JSON line and stops on SIGINT', async () => {
    const child = spawn(...tiedToThisProcess(node24(), ['--no-warnings', join(REPO_ROOT, 'scripts', 'sandbox.ts'), '--dokku-version', '0.37.5']), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
    const printed = JSON.parse(await firstLine(child, exited, () => `npm run sandbox (its stderr: ${JSON.stringify(stderr.slice(-2000))})`)) as Record<string, string | number>
    expect(Object.keys(printed)).toEqual(
      expect.arrayContaining(['host', 'port', 'user', 'privateKeyPath', 'knownHostsLine', 'postgresAdminUrl', 's3Endpoint', 's3AccessKeyId', 's3SecretAccessKey'])
    )
    expect(printed).toMatchObject({ host: '127.0.0.1', user: 'dokku', dokkuVersion: '0.37.5' })
    // the printed details are enough for a plain ssh client
    const knownHosts = join(String(printed.root), 'known_hosts.test')
    await run('bash', ['-c', `printf '%s\\n' "$1" > "$2"`, 'x', String(printed.knownHostsLine), knownHosts])
    const ssh = await run('ssh', ['-i', String(printed.privateKeyPath), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-p', String(printed.port), 'dokku@127.0.0.1', 'version'])
    expect(ssh.stdout).toBe('dokku version 0.37.5\n')
    expect(stderr).toContain(`dokku@127.0.0.1 apps:list`)
    expect(stderr).toContain('git push ssh://dokku@127.0.0.1:')
    expect(stderr).not.toContain(String(printed.s3SecretAccessKey))

    const pids = sandboxPids({ root: String(printed.root) })
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(pids.filter(isRunning)).toEqual([])
    expect(existsSync(String(printed.root))).toBe(false)
  })
})
