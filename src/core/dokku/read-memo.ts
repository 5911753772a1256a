// One observation per run: while a converge run remembers reads, the same read command sent twice
// is answered once, from the same exit code and output, until the run writes something it could
// change. The root action observes the whole stack up front and each converger, observing again for
// itself, finds its reads already answered; standalone actions do not remember (each observes once
// anyway). A write to one app or service (scopeOf) makes stale only the reads about it and the
// host-wide ones; any other write, everything.
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

/**
 * Writes whose effect Dokku reports only under the names they are given (the app; for a link,
 * the service and the app; for a volume, the volume) and in host-wide lists and reports. A write
 * with `--global`, a destroy, a rename, a host-wide setting, anything not listed: everything.
 */
const SCOPED_WRITES = new Set([
  'apps:create',
  'apps:lock',
  'apps:unlock',
  'config:set',
  'config:unset',
  'config:clear',
  'caddy:labels:add',
  'caddy:labels:remove',
  'checks:disable',
  'domains:set',
  'ports:set',
  'proxy:set',
  'proxy:enable',
  'proxy:disable',
  'git:set',
  'git:from-image',
  'git:from-archive',
  'network:create',
  'network:set',
  'ps:rebuild',
  'ps:restart',
  'ps:scale',
  'ps:set',
  'ps:stop',
  'resource:limit',
  'storage:create',
  'storage:ensure-directory',
  'storage:mount',
  'storage:unmount'
])
const SCOPED_SERVICE_WRITES = /^(postgres|redis):(create|link|unlink)$/
/** Reads only a host-wide change moves (a plugin installed): kept across scoped writes. */
const HOST_STATIC_READS = new Set(['plugin:list'])
/** Flags of read commands that take the next word as their value (not a name). */
const VALUE_FLAGS = new Set(['--format', '--num'])

/** The words after the subcommand that name something: neither flags nor a flag's value. */
function namesIn(argv: readonly string[]): string[] {
  const start = argv.findIndex((word) => !word.startsWith('-'))
  const names: string[] = []
  for (let i = start + 1; i < argv.length; i++) {
    const word = argv[i] as string
    if (VALUE_FLAGS.has(word)) i++
    else if (!word.startsWith('-')) names.push(word)
  }
  return names
}

/**
 * What a write can make stale: `{ names }` for a write scoped to the app or service it names
 * (its every word after the subcommand counts, so a value that happens to be a name only makes
 * the memo forget more), or `'everything'`.
 */
export function scopeOf(argv: readonly string[]): { names: ReadonlySet<string> } | 'everything' {
  const command = subcommand(argv)
  if (argv.includes('--global') || !(SCOPED_WRITES.has(command) || SCOPED_SERVICE_WRITES.test(command))) return 'everything'
  const names = namesIn(argv)
  return names.length === 0 ? 'everything' : { names: new Set(names) }
}

/** `remember`: a read answered once per observation; `read`: sent each time, changes nothing; `write`: anything else. */
export function readKind(argv: readonly string[]): 'remember' | 'read' | 'write' {
  const command = subcommand(argv)
  // One line of Caddy's log is asked only for whether its container exists (DokkuCaddy.running):
  // that changes with caddy:start / caddy:stop, both writes.
  if (command === 'caddy:logs' && argv.length === 3 && argv[1] === '--num' && argv[2] === '1') return 'remember'
  if (UNREMEMBERED.has(command)) return 'read'
  if (REMEMBERED.has(command) || SERVICE_READS.test(command) || command.endsWith(':report')) return 'remember'
  // `ps:scale <app>` with no `type=count` prints the scale and changes nothing (docs/dokku-contract.md, ps:scale).
  if (command === 'ps:scale' && !argv.some((word) => word.includes('='))) return 'remember'
  return 'write'
}

export class ReadMemo {
  readonly #answers = new Map<string, { argv: readonly string[]; answer: Promise<ExecResult> }>()

  /**
   * Runs `argv` through `run`, or returns the answer of the same read sent earlier in this
   * observation. A read that failed to run at all (the connection dropped) is not remembered.
   */
  read(argv: readonly string[], run: () => Promise<ExecResult>): Promise<ExecResult> {
    const key = JSON.stringify(argv)
    const known = this.#answers.get(key)
    if (known) return known.answer
    const answer = run()
    this.#answers.set(key, { argv: [...argv], answer })
    answer.catch(() => {
      if (this.#answers.get(key)?.answer === answer) this.#answers.delete(key)
    })
    return answer
  }

  /**
   * `write` is about to change (or just changed) the host: every answer it may have made stale is
   * dropped — for a scoped write, the reads naming what it names and the host-wide reads (which
   * name nothing); otherwise all. Called both before and after a write, so that a read sent while
   * the write ran is not kept either. Without `write`: all (the host changed some other way).
   */
  forget(write?: readonly string[]): void {
    const scope = write === undefined ? 'everything' : scopeOf(write)
    if (scope === 'everything') {
      this.#answers.clear()
      return
    }
    for (const [key, { argv }] of this.#answers) {
      if (HOST_STATIC_READS.has(subcommand(argv))) continue
      const names = namesIn(argv)
      if (names.length === 0 || names.some((name) => scope.names.has(name))) this.#answers.delete(key)
    }
  }

  get size(): number {
    return this.#answers.size
  }
}

/**
 * A read sent before it is known that what it reads exists (to save a round trip): its failure
 * is seen only by a caller that awaits it, once the read turns out to be wanted.
 */
export function unlessAbsent<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined)
  return read
}
