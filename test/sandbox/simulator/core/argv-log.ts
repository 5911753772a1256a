// Every argv the simulator receives, one JSON line each in <sandbox>/run/argv.jsonl: what the
// dokku program got after sshd, the forced command's re-parse and the entry script's re-exec. Tests
// compare it with what the client meant to send (issue 17: "the simulator records every argv it
// receives"). One short O_APPEND write per command, so concurrent commands do not interleave.
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ArgvRecord {
  argv: string[]
  /** The Unix user the simulator ran as (the dokku user, or root for plugin:* commands). */
  uid: number
}

export function argvLogPath(root: string): string {
  return join(root, 'run', 'argv.jsonl')
}

export function recordArgv(root: string, argv: readonly string[]): void {
  const record: ArgvRecord = { argv: [...argv], uid: process.getuid?.() ?? -1 }
  appendFileSync(argvLogPath(root), `${JSON.stringify(record)}\n`, { mode: 0o666 })
}

/** The records from byte `offset` on (a test reads what its own commands added). */
export function readArgvLog(root: string, offset = 0): ArgvRecord[] {
  let text: string
  try {
    text = readFileSync(argvLogPath(root)).subarray(offset).toString('utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ArgvRecord)
}
