// Property tests of buildRemoteCommand against the real remote parsers: every generated argv
// either arrives byte for byte, or is refused up front for one of the documented reasons.
// Each target runs all its cases in one long-lived bash process (NUL-separated in and out),
// so thousands of cases take seconds.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildRemoteCommand, entryScriptShift, isGitCommand, MAX_COMMAND_BYTES, MAX_FORCED_COMMAND_ARGUMENT, UnsendableArgumentError } from '../../../src/core/ssh/quote.js'
import type { RemoteShell } from '../../../src/core/ssh/types.js'

const CASES_PER_TARGET = 1000

// --- generator ---------------------------------------------------------------------------

/** mulberry32: small, seedable, good enough to spread cases; a failure names its seed and index. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FRAGMENTS = [
  "'", '"', '$', '`', '\\', ' ', '  ', '\t', '\n', '*', '?', '~', '#', ';', '|', '&', '!', '{', '}', '(', ')', '<', '>', '[', ']',
  '=', '%', '^', ':', ',', '.', '/', '@', '+', '-', '--', '\r', '\u000b', '\f',
  "''", '""', "\\'", '\\"', '\\\\', '\\n', '$(id)', '${HOME}', '`id`', '$((1+1))', '*.txt', '~root', '#comment', "'$x'", '"$x"',
  '-n', '-e', '-E', '-neE', '--help', '--version', '-x', '--force',
  'a', 'b', 'Z', '0', '9', '_', 'app', 'KEY=', 'value', 'x y', 'git', 'gitea',
  'é', 'ß', '日本語', 'Ω', '\u00a0', '\u2028', '\u{1F600}', '\u{1D11E}', '\u{10FFFF}', '\u200b'
]

const SINGLE_LINE = FRAGMENTS.filter((f) => !f.includes('\n'))

function makeGenerator(seed: number) {
  const random = prng(seed)
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T

  function word(): string {
    const roll = random()
    if (roll < 0.04) return ''
    if (roll < 0.08) return pick(['-n', '-e', '-E', '-nE', '-een', '--help', '--version'])
    if (roll < 0.1) return `x${'\0'}y`
    if (roll < 0.12) return long(1000 + int(3000))
    if (roll < 0.14) return long(MAX_FORCED_COMMAND_ARGUMENT - 40 + int(80), SINGLE_LINE)
    if (roll < 0.2) return `-${fragments(1 + int(4))}`
    return fragments(int(12))
  }
  function fragments(count: number): string {
    let s = ''
    for (let i = 0; i < count; i++) s += pick(FRAGMENTS)
    return s
  }
  function long(bytes: number, from: readonly string[] = FRAGMENTS): string {
    const parts = ['x']
    let size = 1
    while (size < bytes) {
      const part = pick(from)
      parts.push(part)
      size += Buffer.byteLength(part)
    }
    return parts.join('')
  }
  /** Global flags the dokku entry script shifts off before it looks at the command word. */
  function prefix(): string[] {
    const roll = random()
    if (roll < 0.6) return []
    if (roll < 0.75) return ['--quiet']
    if (roll < 0.85) return ['--app', pick(['web', 'gitea', 'digital-api', 'x'])]
    if (roll < 0.9) return ['--trace', '--force']
    return [`--${fragments(1 + int(3))}`]
  }
  function args(): string[] {
    // Now and then a few near-limit arguments of quotes, which quoting quadruples.
    if (random() < 0.02) return Array.from({ length: 2 + int(3) }, () => "'".repeat(MAX_FORCED_COMMAND_ARGUMENT - 100))
    return Array.from({ length: int(5) }, word)
  }
  return {
    /** Target (a): a non-git command word, so the forced command tokenises with xargs. */
    xargsArgv: (): string[] => [...prefix(), pick(['config:set', 'apps:create', 'postgres:import', 'ps:scale', 'run', 'help']), ...args()],
    /** Target (b): a command word containing "git", so the forced command splits on whitespace only. */
    gitArgv: (): string[] => [...prefix(), pick(['git-receive-pack', 'git-upload-pack', 'git:from-image', 'git:sync', 'git:set', 'legit:cmd']), ...args()],
    /** Target (c): anything at all, for shells. */
    anyArgv: (): string[] => [word(), ...args()]
  }
}

// --- real parsers, batched -----------------------------------------------------------------

let workDir: string
let emptyDir: string

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quote-property-'))
  // The forced-command shell globs $SSH_ORIGINAL_COMMAND's words; an empty working directory
  // keeps that from matching anything, as in a home directory without odd file names.
  emptyDir = join(workDir, 'empty')
  writeFileSync(join(workDir, 'forced-command.sh'), FORCED_COMMAND_RUNNER)
  writeFileSync(join(workDir, 'shell.sh'), SHELL_RUNNER)
  mkdirSync(emptyDir)
})

afterAll(() => rmSync(workDir, { recursive: true, force: true }))

// The runners below are bash; "§" stands for "$" where a template literal would interpolate.

/**
 * What the `dokku` user's forced command does with the command string, one case per
 * NUL-terminated input: the login shell word-splits (and globs) $SSH_ORIGINAL_COMMAND into
 * /usr/bin/dokku's argv; the entry script shifts leading global flags, tests $1 against
 * `git-*` / `git:*`, then re-parses the string — both branches copied from
 * test/sandbox/simulator/dokku-entry.sh (dokku v0.38.27 lines 66-125).
 */
const FORCED_COMMAND_RUNNER = String.raw`
route() {
  args=("$@")
  skip_arg=false
  if [[ "§{args[0]}" =~ ^--.* ]]; then
    for arg in "$@"; do
      $skip_arg && skip_arg=false && continue
      if [[ "$arg" == "--version" ]]; then
        continue
      fi
      if [[ "$arg" == "--app" ]]; then
        shift 2 && skip_arg=true
      elif [[ "$arg" =~ ^--.* ]]; then
        shift 1
      else
        break
      fi
    done
  fi
  [[ $1 =~ git-* ]] || [[ $1 =~ git:* ]]
}
while IFS= read -r -d '' SSH_ORIGINAL_COMMAND; do
  ssh_arg_array=()
  # shellcheck disable=SC2086
  if route $SSH_ORIGINAL_COMMAND; then
    set -f
    ssh_arg_array=($SSH_ORIGINAL_COMMAND)
    set +f
  else
    readarray -t -O "§{#ssh_arg_array[@]}" ssh_arg_array < <(printf '%s' "$SSH_ORIGINAL_COMMAND" | xargs -n 1)
  fi
  printf '%s\0' "§{#ssh_arg_array[@]}" "§{ssh_arg_array[@]}"
done
`.replaceAll('§', '$')

/** Runs each command string with `$SHELL_UNDER_TEST -c` (one process per case: used on a slice). */
const SHELL_RUNNER = String.raw`
prelude='dokku() { printf "%s\0" "$#" "$@"; }
sudo() { [ "$1" = -n ] || exit 97; shift; "$@"; }
'
while IFS= read -r -d '' cmd; do
  "$SHELL_UNDER_TEST" -c "$prelude$cmd" || printf 'FAILED %s\0' "$?"
done
`.replaceAll('§', '$')

async function runBatch(script: string, inputs: string[], env: Record<string, string>, expected = inputs.length): Promise<string[][]> {
  const args = script.startsWith('"') ? ['-c', script] : [join(workDir, script)]
  const child = spawn('bash', args, { cwd: emptyDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => out.push(c))
  child.stderr.on('data', (c: Buffer) => err.push(c))
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  child.stdin.end(Buffer.concat(inputs.map((s) => Buffer.from(`${s}\0`))))
  const code = await done
  if (code !== 0) throw new Error(`runner exited with ${code}: ${Buffer.concat(err).toString()}`)
  const fields = Buffer.concat(out).toString('utf8').split('\0')
  fields.pop() // after the last NUL
  const results: string[][] = []
  let i = 0
  while (i < fields.length) {
    const head = fields[i++] ?? ''
    if (head.startsWith('FAILED')) throw new Error(`case ${results.length}: the shell failed (${head}): ${Buffer.concat(err).toString().slice(0, 2000)}`)
    const count = Number(head)
    results.push(fields.slice(i, i + count))
    i += count
  }
  if (results.length !== expected) throw new Error(`runner produced ${results.length} results for ${expected} cases; stderr: ${Buffer.concat(err).toString().slice(0, 2000)}`)
  return results
}

// --- the documented refusals ---------------------------------------------------------------

const ECHO_OPTION = /^(-[neE]+|--help|--version)$/

/** Why an argument may be refused for a target; undefined when it must arrive intact. */
function refusalReason(shell: RemoteShell, argv: readonly string[], arg: string, position: number): string | undefined {
  if (arg.includes('\0')) return 'NUL'
  if (shell !== 'dokku-forced-command') return undefined
  // Global options the entry script shifts are routed on shell-split words: they must be plain.
  if (position < entryScriptShift(argv).flagCount && !/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return 'global option'
  if (arg === '') return 'empty'
  if (isGitCommand(argv)) return /\s/.test(arg) ? 'whitespace' : undefined
  if (arg.includes('\n')) return 'newline'
  if (ECHO_OPTION.test(arg)) return 'echo option'
  if (Buffer.byteLength(arg) > MAX_FORCED_COMMAND_ARGUMENT) return 'too long'
  return undefined
}

interface Outcome {
  sendable: Array<{ argv: string[]; command: string }>
  refused: Record<string, number>
}

function classify(shell: RemoteShell, cases: string[][]): Outcome {
  const outcome: Outcome = { sendable: [], refused: {} }
  for (const argv of cases) {
    let command: string
    try {
      command = buildRemoteCommand(shell, argv)
    } catch (error) {
      expect(error).toBeInstanceOf(UnsendableArgumentError)
      const position = (error as UnsendableArgumentError).position
      // Quoting at most quadruples a byte ('\'' for '), so only argv this large can overflow.
      const reason = /whole command/.test((error as Error).message)
        ? argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) * 4 > MAX_COMMAND_BYTES && argv.every((a, i) => refusalReason(shell, argv, a, i) === undefined)
          ? 'command too long'
          : undefined
        : refusalReason(shell, argv, argv[position] ?? '', position)
      expect(reason, `refused without a documented reason: ${JSON.stringify(argv)} → ${(error as Error).message}`).toBeDefined()
      outcome.refused[reason as string] = (outcome.refused[reason as string] ?? 0) + 1
      continue
    }
    // Accepted: then no argument may have a documented reason to be refused.
    argv.forEach((arg, position) => expect(refusalReason(shell, argv, arg, position), `accepted although unsendable: ${JSON.stringify(argv)}`).toBeUndefined())
    expect(Buffer.byteLength(command)).toBeLessThanOrEqual(MAX_COMMAND_BYTES)
    outcome.sendable.push({ argv, command })
  }
  return outcome
}

async function expectRoundTrip(script: string, outcome: Outcome, env: Record<string, string>): Promise<void> {
  const results = await runBatch(script, outcome.sendable.map((c) => c.command), env)
  expectSame(outcome, results)
}

function expectSame(outcome: Outcome, results: string[][]): void {
  outcome.sendable.forEach((c, i) => {
    expect(results[i], `case ${i}: ${JSON.stringify(c.command).slice(0, 300)}`).toEqual(c.argv)
  })
}

/**
 * All cases as one script, one command per line after the same function prelude: the shell
 * parses each command exactly as it would parse `-c` text, without a process per case.
 */
async function runAsOneScript(program: string, commands: string[]): Promise<string[][]> {
  const path = join(workDir, `${program}-cases.sh`)
  writeFileSync(path, `${SHELL_PRELUDE}${commands.join('\n')}\n`)
  const script = `"${program}" "${path}"`
  return runBatch(script, [], {}, commands.length)
}

const SHELL_PRELUDE = `dokku() { printf '%s\\0' "$#" "$@"; }\nsudo() { [ "$1" = -n ] || exit 97; shift; "$@"; }\n`

function generateCases(seed: number, make: (g: ReturnType<typeof makeGenerator>) => string[]): string[][] {
  const generator = makeGenerator(seed)
  return Array.from({ length: CASES_PER_TARGET }, () => make(generator))
}

describe('dokku forced command (real bash + xargs, as in the dokku entry script)', () => {
  test.each([
    ['C', 0x5eed01],
    ['C.UTF-8', 0x5eed02]
  ])('(a) xargs path, LC_ALL=%s: arrives byte for byte or is refused for a documented reason', async (locale, seed) => {
    const cases = generateCases(seed, (g) => g.xargsArgv())
    const outcome = classify('dokku-forced-command', cases)
    // The generator must exercise both outcomes, or the property proves little.
    expect(outcome.sendable.length).toBeGreaterThan(CASES_PER_TARGET / 4)
    expect(Object.keys(outcome.refused)).toEqual(expect.arrayContaining(['NUL', 'echo option', 'empty', 'newline', 'too long', 'global option', 'command too long']))
    await expectRoundTrip('forced-command.sh', outcome, { LC_ALL: locale })
  })

  test('(b) git path (whitespace split): arrives byte for byte or is refused for a documented reason', async () => {
    const cases = generateCases(0x5eed03, (g) => g.gitArgv())
    const outcome = classify('dokku-forced-command', cases)
    expect(outcome.sendable.length).toBeGreaterThan(CASES_PER_TARGET / 10)
    expect(Object.keys(outcome.refused)).toEqual(expect.arrayContaining(['empty', 'whitespace']))
    await expectRoundTrip('forced-command.sh', outcome, { LC_ALL: 'C.UTF-8' })
  })
})

describe('root and sudo logins (a POSIX shell parses the command string)', () => {
  test.each([
    ['root-shell', 'dash', 0x5eed04],
    ['root-shell', 'bash', 0x5eed05],
    ['sudo-shell', 'dash', 0x5eed06],
    ['sudo-shell', 'bash', 0x5eed07]
  ] as const)('(c) %s under %s -c: arrives byte for byte unless it holds a NUL', async (shell, program, seed) => {
    const cases = generateCases(seed, (g) => g.anyArgv())
    const outcome = classify(shell, cases)
    expect(Object.keys(outcome.refused)).toEqual(expect.arrayContaining(['NUL', 'command too long']))
    expectSame(outcome, await runAsOneScript(program, outcome.sendable.map((c) => c.command)))
    // And a slice through a real `-c`, one process per case, as sshd runs the login shell.
    const slice: Outcome = { sendable: outcome.sendable.slice(0, 100), refused: {} }
    await expectRoundTrip('shell.sh', slice, { SHELL_UNDER_TEST: program, LC_ALL: 'C.UTF-8' })
  })
})

describe('cases the properties found', () => {
  // `--app NAME` is shifted together with its value, so the routed word is the one after NAME.
  test.each([
    [['--app', 'web', 'git-receive-pack', "'web'"]],
    [['--app', 'gitea', 'config:set', 'gitea', "K=it's a b"]],
    [['--app', 'digital', 'ps:scale', 'web=2']],
    [['--quiet', '--app', 'web', 'git:sync', 'web', 'https://example.com/r.git', 'v1']]
  ])('%j arrives as sent', async (argv) => {
    const command = buildRemoteCommand('dokku-forced-command', argv)
    expect(await runBatch('forced-command.sh', [command], { LC_ALL: 'C.UTF-8' })).toEqual([argv])
  })

  test.each([
    // The shell splits a quoted global option into other words than argv, so it routes differently.
    [['--legit x', 'config:set', 'web', "K=it's"], 0],
    [['--app', 'my app', 'config:set', 'K=V'], 1]
  ] as const)('%j is refused before sending', (argv, position) => {
    const error = (() => {
      try {
        buildRemoteCommand('dokku-forced-command', argv)
      } catch (e) {
        return e as UnsendableArgumentError
      }
      throw new Error('expected a refusal')
    })()
    expect(error).toBeInstanceOf(UnsendableArgumentError)
    expect(error.position).toBe(position)
    expect(error.message).toContain('global options')
  })

  test('a command longer than one exec() argument is refused (bash would fail with exit 1)', () => {
    // Each quote becomes '\'' (4 bytes): three of these fit in 128 KiB, four do not.
    const quotes = "'".repeat(10_000)
    expect(() => buildRemoteCommand('dokku-forced-command', ['config:set', 'web', quotes, quotes, quotes])).not.toThrow()
    expect(() => buildRemoteCommand('dokku-forced-command', ['config:set', 'web', quotes, quotes, quotes, quotes])).toThrow(/argument 3 .*whole command would be longer than/)
    expect(() => buildRemoteCommand('root-shell', ['config:set', 'web', 'x'.repeat(MAX_COMMAND_BYTES)])).toThrow(/whole command/)
  })

  test('a NUL byte is reported at its own position for shells', () => {
    expect(() => buildRemoteCommand('root-shell', ['config:set', 'web', 'a\0b'])).toThrow('argument 3 cannot be sent')
    expect(() => buildRemoteCommand('sudo-shell', ['config:set', 'a\0b'])).toThrow('argument 2 cannot be sent')
  })
})
