// Tries one hostile string through one input with the action's real reader, as the entry point
// reads it (InputReader over the runner's INPUT_* variables), and says whether the promise held:
// refused with a ConfigurationError that names the input and shows no secret, or accepted and
// landed byte for byte where the input belongs.
import { ConfigurationError } from '../../../src/core/errors.js'
import { InputReader } from '../../../src/core/inputs/readers.js'
import type { HostileString } from '../hostile.ts'
import { inputVariable, type ActionInputTable, type InputCase } from './types.ts'

export type Trial =
  | { kind: 'refused'; message: string }
  | { kind: 'accepted'; settings: unknown; landed: unknown }
  | { kind: 'broken'; problem: string }

/** The environment the runner would give the step for these `with:` values. */
export function runnerEnvironment(values: Readonly<Record<string, string>>): Map<string, string> {
  // An environment holds bytes, which Node reads as UTF-8: an unpaired surrogate arrives as U+FFFD.
  return new Map(Object.entries(values).map(([name, value]) => [inputVariable(name), Buffer.from(value, 'utf8').toString('utf8')]))
}

export function caseName(table: ActionInputTable, c: InputCase): string {
  return `${table.action} ${c.input}${c.variant ? ` (${c.variant})` : ''}`
}

const SHOWN_SECRET_MIN = 8

export function tryHostile(table: ActionInputTable, c: InputCase, hostile: HostileString): Trial {
  const env = runnerEnvironment({ ...table.base, ...c.with, [c.input]: c.wrap ? c.wrap(hostile.value) : hostile.value })
  const raw = env.get(inputVariable(c.input)) as string
  // The runner's getInput: process.env[INPUT_<NAME>], '' when unset (an environment cannot hold NUL;
  // a NUL is tried anyway, for a reader fed some other way).
  const reader = new InputReader((name) => env.get(inputVariable(name)) ?? '')
  let settings: unknown
  try {
    settings = table.read(reader)
  } catch (error) {
    if (!(error instanceof ConfigurationError)) return { kind: 'broken', problem: `threw ${(error as Error)?.name ?? typeof error} instead of a ConfigurationError: ${String((error as Error)?.message ?? error).slice(0, 200)}` }
    const message = error.message
    if (error.input !== c.input && !message.includes(`"${c.input}"`)) return { kind: 'broken', problem: `the error names ${JSON.stringify(error.input)}, not "${c.input}": ${message.slice(0, 200)}` }
    for (const secret of table.baseSecrets) if (message.includes(secret)) return { kind: 'broken', problem: 'the error shows a secret of another input' }
    if (c.secret && raw.trim().length >= SHOWN_SECRET_MIN && message.includes(raw.trim())) return { kind: 'broken', problem: 'the error shows the secret value itself' }
    // Shown values are JSON-quoted: a newline in one cannot start a workflow command (::error:: …) in the log.
    if (message.split('\n').some((line) => line.trimStart().startsWith('::'))) return { kind: 'broken', problem: 'the error carries a line that the runner would read as a workflow command' }
    return { kind: 'refused', message }
  }
  const landed = c.found(settings)
  // A value that is blank, or only blank and comment lines, is an unset input (InputReader's
  // documented reading): it must land exactly as if the input had not been given.
  if (isUnsetValue(raw, c.lines ?? false)) {
    const unset = c.found(table.read(new InputReader((name) => (name === c.input ? '' : (env.get(inputVariable(name)) ?? '')))))
    if (isDeepStrictEqual(landed, unset)) return { kind: 'accepted', settings, landed }
    return { kind: 'broken', problem: `a blank value landed as ${preview(landed)}, not as the unset input's ${preview(unset)}` }
  }
  let expected: unknown
  try {
    expected = c.expected ? c.expected(raw) : raw.trim()
  } catch (error) {
    return { kind: 'broken', problem: `accepted, but it is not a value of its kind (${(error as Error).message})` }
  }
  if (!isDeepStrictEqual(landed, expected)) return { kind: 'broken', problem: `accepted, but it landed as ${preview(landed)} instead of ${preview(expected)}` }
  return { kind: 'accepted', settings, landed }
}

/** Blank, or (for list and KEY=VALUE inputs) nothing but blank and `#` comment lines. */
export function isUnsetValue(raw: string, lines: boolean): boolean {
  if (!lines) return raw.trim() === ''
  return raw.split(/\r?\n/).every((line) => line.trim() === '' || line.trim().startsWith('#'))
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
