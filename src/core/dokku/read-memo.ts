// One observation per run: while a converge run remembers reads, the same read command sent twice
// is answered once, from the same exit code and output, until the run writes anything. The root
// action observes the whole stack up front and each converger, observing again for itself, finds
// its reads already answered; standalone actions do not remember (each observes once anyway).
import type { ExecResult } from '../ssh/types.js'

/**
 * Commands that only read the host, whose answer stands until something is written: reports,
 * lists, existence checks, exports, `ps:scale` without counts.
 */
const REMEMBERED = new Set(['apps:exists', 'apps:list', 'config:export', 'storage:list', 'storage:list-entries', 'caddy:labels:show', 'plugin:list', 'network:exists'])
const SERVICE_READS = /^(postgres|redis):(exists|info|list)$/
/**
 * Commands that read without changing what Dokku reports, but whose answer moves on by itself, so
 * it is sent each time: `apps:locked` (polled while another deploy runs), `caddy:logs` and `logs`
 * (read for what was logged since a change), `builds:*`, and `enter` (a health probe run inside a
 * container: what it changes there, Dokku does not report).
 */
const UNREMEMBERED = new Set(['apps:locked', 'caddy:logs', 'logs', 'builds:list', 'builds:output', 'builds:report', 'enter'])

/** The subcommand of an argv: its first word that is not a global flag (`--quiet apps:list`). */
function subcommand(argv: readonly string[]): string {
  return argv.find((word) => !word.startsWith('-')) ?? ''
}

/** `remember`: a read answered once per observation; `read`: sent each time, changes nothing; `write`: anything else. */
export function readKind(argv: readonly string[]): 'remember' | 'read' | 'write' {
  const command = subcommand(argv)
  if (UNREMEMBERED.has(command)) return 'read'
  if (REMEMBERED.has(command) || SERVICE_READS.test(command) || command.endsWith(':report')) return 'remember'
  // `ps:scale <app>` with no `type=count` prints the scale and changes nothing (docs/dokku-contract.md, ps:scale).
  if (command === 'ps:scale' && !argv.some((word) => word.includes('='))) return 'remember'
  return 'write'
}

export class ReadMemo {
  readonly #answers = new Map<string, Promise<ExecResult>>()

  /**
   * Runs `argv` through `run`, or returns the answer of the same read sent earlier in this
   * observation. A read that failed to run at all (the connection dropped) is not remembered.
   */
  read(argv: readonly string[], run: () => Promise<ExecResult>): Promise<ExecResult> {
    const key = JSON.stringify(argv)
    const known = this.#answers.get(key)
    if (known) return known
    const answer = run()
    this.#answers.set(key, answer)
    answer.catch(() => {
      if (this.#answers.get(key) === answer) this.#answers.delete(key)
    })
    return answer
  }

  /**
   * Something is about to change (or just changed) the host: every answer may be stale. Called
   * both before and after a write, so that a read sent while the write ran is not kept either.
   */
  forget(): void {
    this.#answers.clear()
  }

  get size(): number {
    return this.#answers.size
  }
}
