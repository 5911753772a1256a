// Process bookkeeping for the sandbox host: starting servers so that they die with the test
// process, stopping them within a bound, and finding every process that belongs to one
// sandbox directory (by /proc) so that nothing outlives the sandbox — also processes the
// Dokku simulator started in the background and that were re-parented to init.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

export interface Service {
  child: ChildProcess
  pid: number
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>
  hasExited(): boolean
}

export interface StartOptions {
  /** Run as this Unix user (setpriv --reuid/--regid --init-groups); default: as the caller. */
  user?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
  stdio?: SpawnOptions['stdio']
}

/**
 * Spawns a long-running server through `setpriv --pdeathsig KILL`, so the kernel kills it when
 * the test process dies, even by SIGKILL (the setting survives the uid change and the exec).
 */
export function startService(command: string, args: string[], options: StartOptions = {}): Service {
  const privileges = options.user ? ['--reuid', options.user, '--regid', options.user, '--init-groups'] : []
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...privileges, command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: options.stdio ?? 'ignore'
  })
  // The sandbox's stop() (or the exit hook) ends it; it must not keep the test process alive.
  child.unref()
  let ended = false
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true
      resolve(code ?? signal ?? 'unknown')
    })
    child.once('error', (error) => {
      ended = true
      resolve(`spawn error: ${error.message}`)
    })
  })
  return { child, pid: child.pid ?? -1, exited, hasExited: () => ended }
}

/**
 * `command` and `args` run through `setpriv --pdeathsig KILL`, for spawn(): the kernel kills the
 * process when this one dies, however it dies. For every process that must not outlive the test
 * that started it — a test's child that owns a sandbox, above all: a test failing before it
 * could stop that child left it, and its whole sandbox, running after the suite had ended.
 */
export function tiedToThisProcess(command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'KILL', command, ...args]]
}

/** Sends `signal`, waits up to `timeoutMs`, then SIGKILLs and waits (bounded) again. */
export async function stopService(service: Service, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<void> {
  if (service.hasExited() || service.pid <= 0) return
  signalQuietly(service.pid, signal)
  if (await settlesWithin(service.exited, timeoutMs)) return
  signalQuietly(service.pid, 'SIGKILL')
  await settlesWithin(service.exited, 5_000)
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  // never 0/-1 (the caller's group, every process) nor init
  if (!Number.isInteger(pid) || Math.abs(pid) <= 1) return
  try {
    process.kill(pid, signal)
  } catch {
    // already gone, or never ours
  }
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** The kernel's start time of a process (clock ticks since boot), to tell a PID from a reused one. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return 0
  }
}

/** This process and its ancestors: never signalled by a sweep. */
function selfAndAncestors(): Set<number> {
  const result = new Set<number>()
  for (let pid = process.pid; pid > 1 && !result.has(pid); pid = parentOf(pid)) result.add(pid)
  return result
}

/**
 * Every live process that belongs to the sandbox in `root`: its environment names the sandbox
 * (the simulator's entry script exports DOKKU_SANDBOX_ROOT, and children inherit it), its
 * command line mentions a path inside it, or its working directory is inside it (PostgreSQL
 * backends rewrite their command line but keep the data directory as working directory).
 */
export function findSandboxProcesses(root: string): number[] {
  const prefix = `${root}/`
  const envMarker = `DOKKU_SANDBOX_ROOT=${root}`
  const spared = selfAndAncestors()
  const found: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (spared.has(pid) || !isRunning(pid)) continue
    if (belongsTo(pid, root, prefix, envMarker)) found.push(pid)
  }
  return found
}

function belongsTo(pid: number, root: string, prefix: string, envMarker: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`)
    if (cwd === root || cwd.startsWith(prefix)) return true
  } catch {
    // kernel threads and vanished processes have no readable cwd
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    if (cmdline.some((arg) => arg === root || arg.includes(prefix))) return true
  } catch {
    // vanished
  }
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    if (environ.includes(envMarker)) return true
  } catch {
    // vanished
  }
  return false
}

/** PIDs the simulator recorded in `<root>/run/*.pid` (first integer in each file). */
export function recordedPids(runDir: string): number[] {
  const pids: number[] = []
  let names: string[]
  try {
    names = readdirSync(runDir)
  } catch {
    return pids
  }
  for (const name of names) {
    if (!name.endsWith('.pid')) continue
    try {
      const match = /\d+/.exec(readFileSync(`${runDir}/${name}`, 'utf8'))
      if (match) pids.push(Number(match[0]))
    } catch {
      // removed while we looked
    }
  }
  return pids
}

/**
 * Ends every process of the sandbox: SIGTERM to each recorded PID and its process group and to
 * everything the /proc sweep finds, a bounded grace period, then SIGKILL, repeated until a sweep
 * comes back empty (processes may start children while they shut down) or the deadline passes.
 * Returns the PIDs still running at the end (empty on success).
 */
export async function killSandboxProcesses(root: string, runDir: string, graceMs = 2_000, deadlineMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + deadlineMs
  const spared = selfAndAncestors()
  const targets = (): number[] => [...new Set([...recordedPids(runDir).filter((p) => !spared.has(p) && isRunning(p)), ...findSandboxProcesses(root)])]
  let round = 0
  for (;;) {
    const pids = targets()
    if (pids.length === 0) return []
    if (Date.now() > deadline) return pids
    const signal: NodeJS.Signals = round === 0 ? 'SIGTERM' : 'SIGKILL'
    for (const pid of pids) {
      signalQuietly(-pid, signal) // its process group, if it leads one
      signalQuietly(pid, signal)
    }
    const waitUntil = Date.now() + (round === 0 ? graceMs : 500)
    while (Date.now() < waitUntil && pids.some(isRunning)) await sleep(20)
    round++
  }
}

/** The synchronous last resort for process 'exit' and signals: SIGKILL, no grace. */
export function killSandboxProcessesSync(root: string, runDir: string, extraPids: number[] = []): void {
  const spared = selfAndAncestors()
  for (let round = 0; round < 5; round++) {
    const pids = [...new Set([...extraPids, ...recordedPids(runDir), ...findSandboxProcesses(root)])].filter((p) => !spared.has(p) && isRunning(p))
    if (pids.length === 0) return
    for (const pid of pids) {
      signalQuietly(-pid, 'SIGKILL')
      signalQuietly(pid, 'SIGKILL')
    }
    sleepSync(20)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

// ---- cleanup when the test process ends without stop() -----------------------------------

const emergencyCleanups = new Set<() => void>()
let hooksInstalled = false

function runEmergencyCleanups(): void {
  for (const cleanup of [...emergencyCleanups]) {
    emergencyCleanups.delete(cleanup)
    try {
      cleanup()
    } catch {
      // best effort: the next cleanup must still run
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal (vitest, scripts/sandbox.ts): they decide how to shut
  // down and call stop(); the 'exit' hook still covers a process.exit() without stop().
  if (process.listenerCount(signal) > 1) return
  runEmergencyCleanups()
  process.removeListener(signal, onSignal)
  process.kill(process.pid, signal) // the default action: die by the signal
}

/** Registers a synchronous cleanup for process exit and SIGINT/SIGTERM/SIGHUP; returns its remover. */
export function registerEmergencyCleanup(cleanup: () => void): () => void {
  if (!hooksInstalled) {
    hooksInstalled = true
    process.on('exit', runEmergencyCleanups)
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal)
  }
  emergencyCleanups.add(cleanup)
  return () => {
    emergencyCleanups.delete(cleanup)
  }
}
