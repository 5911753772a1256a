// Child-process entry (Node 24, type stripping): the watchdog of one sandbox host. startSandbox
// starts it in a session of its own, its stdin a pipe whose other end only the owning process
// holds. However the owner ends — stop(), process.exit, a signal, or SIGKILL, which runs no
// handler — the kernel closes that end and the watchdog reads EOF. If the sandbox's directory is
// still there then, the owner died without stopping it: the watchdog ends every process of the
// sandbox (the servers, and everything parent-death signals cannot reach: sshd's sessions, the
// simulator's commands and background processes, PostgreSQL backends) and removes the directory.
//
// Environment: SANDBOX_WATCHDOG_ROOT, the sandbox's directory. Not on the command line, not as
// DOKKU_SANDBOX_ROOT and not as working directory: the owner's own sweep of the sandbox's
// processes must not find (and kill) the watchdog before the owner is done.
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { killSandboxProcesses } from './processes.ts'

const root = process.env.SANDBOX_WATCHDOG_ROOT
if (!root || !root.startsWith('/')) {
  process.stderr.write('watchdog: SANDBOX_WATCHDOG_ROOT must be the sandbox directory\n')
  process.exit(64)
}

let acting = false
async function ownerGone(): Promise<void> {
  if (acting) return
  acting = true
  if (existsSync(join(root as string, 'owner.json'))) {
    const left = await killSandboxProcesses(root as string, join(root as string, 'run'), 500, 20_000)
    rmSync(root as string, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
    if (left.length > 0) process.stderr.write(`watchdog: processes ${left.join(', ')} of ${root} did not end\n`)
  }
  process.exit(0)
}

process.stdin.on('end', () => void ownerGone())
process.stdin.on('error', () => void ownerGone())
process.stdin.on('data', () => undefined)
