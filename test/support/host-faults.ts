// Faults on the sandbox host's side, shared by the tests that prove nothing is lost mid-flight.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ProcessInfo {
  pid: number
  ppid: number
  comm: string
}

/** Every live (not zombie) process on the machine. */
export function liveProcesses(): ProcessInfo[] {
  const all: ProcessInfo[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] === 'Z') continue
      all.push({ pid: Number(entry), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) })
    } catch {
      // gone while we looked
    }
  }
  return all
}

/**
 * Cuts every SSH connection to the sandbox host in `sandboxRoot`: the sshd processes of each
 * connection — the listener's child and the session processes under it, which hold the socket —
 * killed, as a network drop or an OOM kill of sshd would end them. The command they ran is not
 * touched: it sees its input end and its output go nowhere, as on a real host. Only for a host no
 * other test file uses at the same time. Returns how many were killed.
 */
export function cutConnections(sandboxRoot: string): number {
  const listener = Number(readFileSync(join(sandboxRoot, 'sshd', 'sshd.pid'), 'utf8').trim())
  const all = liveProcesses()
  const sshd = new Set<number>()
  let frontier = all.filter((p) => p.ppid === listener).map((p) => p.pid)
  while (frontier.length > 0) {
    for (const pid of frontier) sshd.add(pid)
    frontier = all.filter((p) => frontier.includes(p.ppid) && p.comm.startsWith('sshd')).map((p) => p.pid)
  }
  for (const pid of sshd) process.kill(pid, 'SIGKILL')
  return sshd.size
}
