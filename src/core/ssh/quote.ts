import type { RemoteShell } from './types.js'

/**
 * Builds the command string that makes the remote side see exactly `argv`.
 *
 * The `dokku` user's forced command (docs/dokku-contract.md#forced-command, dokku entry script) re-parses the
 * string: when the first command word contains "git" it is split on whitespace with no
 * quote processing; otherwise `printf '%s' "$SSH_ORIGINAL_COMMAND" | xargs -n 1` runs
 * /bin/echo once per item and `readarray -t` reads the lines back. That pipeline cannot
 * carry newlines (readarray splits them), NUL bytes, or items that echo takes as its own
 * options (`-n`, `-e`, `-E` and their combinations, `--help`, `--version`). Empty items are
 * refused as well: the contract documents that `''` is dropped (GNU findutils 4.9 keeps it,
 * other builds may not), so none may rely on it.
 *
 * Root and sudo users get a POSIX shell, where single quotes carry every byte but NUL.
 */
export function buildRemoteCommand(shell: RemoteShell, argv: readonly string[]): string {
  const command = joinForShell(shell, argv)
  // sshd passes the string to exec() as one argument (`bash -c`) or one environment entry
  // (SSH_ORIGINAL_COMMAND); Linux caps each at 128 KiB and bash then fails with exit 1.
  if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
    const longest = argv.reduce((best, arg, i) => (arg.length > (argv[best]?.length ?? 0) ? i : best), 0)
    throw new UnsendableArgumentError(`the whole command would be longer than ${MAX_COMMAND_BYTES} bytes once quoted, more than the remote side accepts; send large values over stdin`, longest)
  }
  return command
}

/** Largest command string sent: Linux's MAX_ARG_STRLEN (128 KiB) less room for "SSH_ORIGINAL_COMMAND=". */
export const MAX_COMMAND_BYTES = 128 * 1024 - 64

function joinForShell(shell: RemoteShell, argv: readonly string[]): string {
  if (argv.length === 0) throw new UnsendableArgumentError('no command given', 0)
  switch (shell) {
    case 'dokku-forced-command': {
      // The entry script routes on the words the login shell splits the string into; those
      // equal argv only where the words are plain, so the global options it shifts must be.
      const { flagCount } = entryScriptShift(argv)
      const quoted = argv.slice(0, flagCount).findIndex((word) => !BARE_SAFE.test(word))
      if (quoted !== -1)
        throw new UnsendableArgumentError('the global options before the command must be plain words (letters, digits, _@%+=:,./-) for the dokku forced command to route it', quoted)
      return isGitCommand(argv) ? joinForWhitespaceSplit(argv) : joinForXargs(argv)
    }
    case 'root-shell':
      checkNoNul(argv)
      return ['dokku', ...argv].map(posixQuote).join(' ')
    case 'sudo-shell':
      checkNoNul(argv)
      return ['sudo', '-n', 'dokku', ...argv].map(posixQuote).join(' ')
  }
}

/** Raised before anything is sent when an argument cannot reach the remote side byte for byte. */
export class UnsendableArgumentError extends Error {
  readonly position: number
  constructor(reason: string, position: number) {
    super(`argument ${position + 1} cannot be sent over SSH: ${reason}`)
    this.name = 'UnsendableArgumentError'
    this.position = position
  }
}

/** Largest single argument sent through the forced command; larger values go over stdin. */
export const MAX_FORCED_COMMAND_ARGUMENT = 32 * 1024

const BARE_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/
/** An argument the forced command's echo takes as its own option (a reader refuses such a value before connecting). */
export const ECHO_OPTION = /^(-[neE]+|--help|--version)$/

/** The dokku entry script tests `$1 =~ git-*` / `git:*` on the first word after leading global flags; as regexes both match any word containing "git". */
export function isGitCommand(argv: readonly string[]): boolean {
  return (argv[entryScriptShift(argv).commandIndex] ?? '').includes('git')
}

/**
 * Replays the entry script's global-flag loop (dokku v0.38.27 lines 66-80) to find which word
 * becomes `$1`: leading `--x` words are shifted, `--app` together with its value, while
 * `--version` is skipped without a shift (so it can end up as `$1` itself). `flagCount` is how
 * many leading words the loop examined before it stopped.
 */
export function entryScriptShift(argv: readonly string[]): { commandIndex: number; flagCount: number } {
  if (!argv[0]?.startsWith('--')) return { commandIndex: 0, flagCount: 0 }
  let shifts = 0
  let skip = false
  let index = 0
  for (; index < argv.length; index++) {
    const word = argv[index] as string
    if (skip) {
      skip = false
      continue
    }
    if (word === '--version') continue
    if (word === '--app') {
      // `shift 2 && skip_arg=true`: with fewer than two words left, shift fails and nothing moves.
      if (argv.length - shifts >= 2) {
        shifts += 2
        skip = true
      }
    } else if (word.startsWith('--')) shifts += 1
    else break
  }
  return { commandIndex: shifts, flagCount: index }
}

function checkNoNul(argv: readonly string[]): void {
  const position = argv.findIndex((arg) => arg.includes('\0'))
  if (position !== -1) throw new UnsendableArgumentError('it contains a NUL byte', position)
}

/**
 * Why `arg` cannot travel as one argument of the dokku forced command byte for byte, or undefined
 * when it can. The input readers ask this before connecting; joinForXargs refuses on it when sending.
 */
export function forcedCommandArgumentProblem(arg: string): string | undefined {
  if (arg === '') return 'it is empty, and the dokku forced command may drop empty arguments'
  if (arg.includes('\0')) return 'it contains a NUL byte'
  if (arg.includes('\n')) return 'it contains a newline, which the dokku forced command splits into two arguments; send such values over stdin or base64-encoded'
  if (ECHO_OPTION.test(arg)) return `the dokku forced command passes each argument through echo, which would swallow "${arg}"; use the long form of the flag`
  if (Buffer.byteLength(arg) > MAX_FORCED_COMMAND_ARGUMENT) return `it is longer than ${MAX_FORCED_COMMAND_ARGUMENT} bytes; send large values over stdin`
  return undefined
}

export function joinForXargs(argv: readonly string[]): string {
  return argv
    .map((arg, i) => {
      const problem = forcedCommandArgumentProblem(arg)
      if (problem) throw new UnsendableArgumentError(problem, i)
      return BARE_SAFE.test(arg) ? arg : posixQuote(arg)
    })
    .join(' ')
}

export function joinForWhitespaceSplit(argv: readonly string[]): string {
  return argv
    .map((arg, i) => {
      if (arg === '') throw new UnsendableArgumentError('it is empty, and git commands are split on whitespace', i)
      if (/[\s\0]/.test(arg))
        throw new UnsendableArgumentError('it contains whitespace, and the dokku forced command splits git commands on whitespace without honouring quotes', i)
      return arg
    })
    .join(' ')
}

/** POSIX single-quoting: every byte but NUL survives `sh -c`. */
export function posixQuote(arg: string): string {
  if (arg.includes('\0')) throw new UnsendableArgumentError('it contains a NUL byte', 0)
  if (arg !== '' && BARE_SAFE.test(arg)) return arg
  return `'${arg.replaceAll("'", `'\\''`)}'`
}
