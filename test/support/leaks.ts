// What a run of this process could leak, counted from the kernel's view (issue 17, soak): child
// processes (the whole tree below this process), open file descriptors, entries left in a temp
// directory. Read from /proc, so counting starts no process of its own.
import { readdir, readFile } from 'node:fs/promises'

export interface LeakCounts {
  /** Processes descended from this one. */
  processes: number
  /** Open file descriptors of this process. */
  fds: number
}

export async function countLeakables(): Promise<LeakCounts> {
  return { processes: (await descendants(process.pid)).length, fds: (await readdir('/proc/self/fd')).length }
}

/** The pids below `root` (children, their children, …), with what each runs, for a failure message. */
export async function descendants(root: number): Promise<{ pid: number; command: string }[]> {
  const parents = new Map<number, number>()
  const commands = new Map<number, string>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parents.set(Number(entry), Number(after[1]))
      commands.set(Number(entry), (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim())
    } catch {
      // the process ended while being read
    }
  }
  const found: { pid: number; command: string }[] = []
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue
      found.push({ pid: child, command: commands.get(child) ?? '' })
      walk(child)
    }
  }
  walk(root)
  return found
}
