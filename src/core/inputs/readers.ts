import * as core from '@actions/core'
import { appNameProblem, CONFIG_KEY, MAX_APP_NAME, serviceNameProblem } from '../dokku/names.js'
import { forcedCommandArgumentProblem } from '../ssh/quote.js'
import { ConfigurationError } from '../errors.js'
import { formatDuration } from '../format.js'
import { registerSecret } from '../secrets.js'

/** Returns the raw value of an input, '' when unset. */
export type InputGetter = (name: string) => string

/** The runner's inputs (`INPUT_<NAME>` with hyphens kept), untrimmed so secrets and multi-line values keep their bytes. */
export const runnerInputs: InputGetter = (name) => core.getInput(name, { trimWhitespace: false })

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']

/**
 * Reads and validates inputs into typed values. Every error is a ConfigurationError that
 * names the input, shows the bad value (never for secrets) and says how to fix it.
 */
export class InputReader {
  private readonly get: InputGetter

  constructor(get: InputGetter = runnerInputs) {
    // No runner can put a NUL in an INPUT_* variable, and no argument, file name or URL can carry
    // one: refused here for every input at once (the value is not shown, it may be a secret).
    this.get = (name) => {
      const value = get(name)
      if (value.includes('\0')) throw new ConfigurationError(`Input "${name}" contains a NUL byte, which no input can carry. Remove it.`, name)
      return value
    }
  }

  /**
   * A reader whose inputs are `values` where they name one and this reader's otherwise: the root
   * action reads each resource of the stack file through the resource's own action's readers,
   * with the common inputs (SSH) it was given itself.
   */
  overlay(values: Readonly<Record<string, string>>): InputReader {
    return new InputReader((name) => (Object.hasOwn(values, name) ? (values[name] as string) : this.get(name)))
  }

  /** Trimmed value, or undefined when empty. */
  optional(name: string): string | undefined {
    const value = this.get(name).trim()
    return value === '' ? undefined : value
  }

  required(name: string, hint?: string): string {
    const value = this.optional(name)
    if (value === undefined) throw missing(name, hint)
    return value
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback
  }

  /** A secret: masked the moment it is read, never echoed in errors. Surrounding whitespace is trimmed. */
  secret(name: string, options: { required: true; hint?: string }): string
  secret(name: string, options?: { required?: false }): string | undefined
  secret(name: string, options: { required?: boolean; hint?: string } = {}): string | undefined {
    const raw = this.get(name)
    registerSecret(raw)
    const value = raw.trim()
    registerSecret(value)
    if (value === '') {
      if (options.required) throw missing(name, options.hint)
      return undefined
    }
    return value
  }

  /** YAML 1.2 core-schema booleans only: a typo such as `ture` is an error, not `false`. */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name)
    if (value === undefined) return fallback
    if (TRUE_VALUES.includes(value)) return true
    if (FALSE_VALUES.includes(value)) return false
    throw invalid(name, value, 'must be a boolean', 'Use true or false.')
  }

  integer(name: string, options: { fallback: number; min: number; max: number; unit?: string }): number {
    const value = this.optional(name)
    if (value === undefined) return options.fallback
    const range = `from ${options.min} to ${options.max}${options.unit ? ` ${options.unit}` : ''}`
    if (!/^[+-]?\d+$/.test(value)) throw invalid(name, value, `must be a whole number ${range}`, `For example ${options.fallback}.`)
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < options.min || n > options.max)
      throw invalid(name, value, `must be a whole number ${range}`, `For example ${options.fallback}.`)
    return n
  }

  port(name: string, fallback: number): number {
    return this.integer(name, { fallback, min: 1, max: 65535 })
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name)
    if (value === undefined) return fallback
    if ((allowed as readonly string[]).includes(value)) return value as T
    throw invalid(name, value, `must be one of ${allowed.join(', ')}`, `Use one of: ${allowed.join(', ')}.`)
  }

  /** A duration: `90` (seconds), `90s`, `5m`, `1h`, `500ms`. Returns milliseconds. */
  duration(name: string, options: { fallbackMs: number; maxMs: number }): number {
    const value = this.optional(name)
    if (value === undefined) return options.fallbackMs
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value)
    const hint = 'Write a number of seconds or a number with a unit, e.g. 90, 90s, 5m or 1h.'
    if (!match) throw invalid(name, value, 'must be a duration', hint)
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
    const ms = Math.round(Number(match[1]) * factor)
    if (ms > options.maxMs) throw invalid(name, value, `must be at most ${formatDuration(options.maxMs)}`, hint)
    return ms
  }

  /** One item a line; blank lines and lines starting with `#` are skipped. */
  list(name: string): string[] {
    return this.get(name)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
  }

  /**
   * KEY=VALUE lines. A value that spans lines uses the GITHUB_OUTPUT heredoc form:
   * `KEY<<EOF`, the lines, then `EOF` alone on a line. With `secret`, every value is masked; with
   * `conceal`, no line is quoted in an error (the caller decides later which values are secret).
   */
  keyValues(name: string, options: { secret?: boolean; conceal?: boolean; keyPattern?: RegExp; keyHint?: string } = {}): Map<string, string> {
    const conceal = options.secret === true || options.conceal === true
    const keyPattern = options.keyPattern ?? CONFIG_KEY
    const keyHint = options.keyHint ?? 'Keys start with a letter or underscore and contain only letters, digits and underscores.'
    const result = new Map<string, string>()
    const lines = this.get(name).split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string
      if (line.trim() === '' || line.trim().startsWith('#')) continue
      const heredoc = /^\s*([^=\s<]+)<<(\S+)\s*$/.exec(line)
      let key: string
      let value: string
      if (heredoc) {
        key = heredoc[1] as string
        const delimiter = heredoc[2] as string
        const end = lines.findIndex((l, j) => j > i && l === delimiter)
        if (end === -1)
          throw new ConfigurationError(
            `Input "${name}" line ${i + 1}: the multi-line value of ${key} is not closed. Add a line containing only ${delimiter} after the value.`,
            name
          )
        value = lines.slice(i + 1, end).join('\n')
        i = end
      } else {
        const eq = line.indexOf('=')
        if (eq <= 0)
          throw new ConfigurationError(
            `Input "${name}" line ${i + 1} is not KEY=VALUE${conceal ? '' : `: ${show(line)}`}. Write one KEY=VALUE a line, or KEY<<EOF … EOF for a value that spans lines.`,
            name
          )
        key = line.slice(0, eq).trim()
        value = line.slice(eq + 1)
      }
      if (!keyPattern.test(key)) throw invalid(name, key, `has an invalid key on line ${i + 1}`, keyHint)
      if (result.has(key)) throw new ConfigurationError(`Input "${name}" sets ${key} twice (line ${i + 1}). Keep one of them.`, name)
      if (options.secret) registerSecret(value)
      result.set(key, value)
    }
    return result
  }

  appName(name: string, options: { required: true }): string
  appName(name: string, options?: { required?: false }): string | undefined
  appName(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = options.required ? this.required(name) : this.optional(name)
    if (value === undefined) return undefined
    return checkAppName(name, value)
  }

  serviceName(name: string, options: { required: true }): string
  serviceName(name: string, options?: { required?: false }): string | undefined
  serviceName(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = options.required ? this.required(name) : this.optional(name)
    if (value === undefined) return undefined
    const problem = serviceNameProblem(value)
    if (problem) throw invalid(name, value, problem, `For example "${suggestName(value, /[^A-Za-z0-9_-]+/g)}".`)
    return value
  }

  hostname(name: string, options: { required: true }): string
  hostname(name: string, options?: { required?: false }): string | undefined
  hostname(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = options.required ? this.required(name, 'Set it to the Dokku host name or IP address.') : this.optional(name)
    if (value === undefined) return undefined
    if (!isHostname(value))
      throw invalid(name, value, 'must be a host name or an IP address, without scheme, user or port', 'For example dokku.example.com or 203.0.113.7; the port goes in ssh-port.')
    return value
  }

  url(name: string, options: { protocols: readonly string[] }): URL | undefined {
    const value = this.optional(name)
    if (value === undefined) return undefined
    if (hasEmptyHost(value))
      throw invalid(
        name,
        value,
        'is a URL with no host, or an empty part in it',
        'When it is built from a variable (https://${{ vars.DOMAIN }}/…), that variable is unset or empty: set it in the repository or environment.'
      )
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw invalid(name, value, 'must be an absolute URL', `For example ${options.protocols[0]}//app.example.com/health.`)
    }
    if (!options.protocols.includes(url.protocol))
      throw invalid(name, value, `must use ${options.protocols.join(' or ')}`, `For example ${options.protocols[0]}//app.example.com/health.`)
    return url
  }
}

/**
 * A URL whose host is missing or has an empty label: what `https://${{ vars.X }}/…` becomes when X
 * is unset (`https:///api/v1/`, `https://:443/`), or `https://app.${{ vars.DOMAIN }}/` with DOMAIN
 * unset (`https://app./`). WHATWG URL parsing would silently read `https:///api/v1/` as host `api`.
 */
export function hasEmptyHost(value: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#\s]*@)?([^/?#\s]*)/i.exec(value.trim())
  if (!authority) return false
  const host = (authority[1] as string).startsWith('[') ? (authority[1] as string) : (authority[1] as string).replace(/:\d*$/, '')
  return host === '' || host.startsWith('.') || host.endsWith('.') || host.includes('..')
}

export function checkAppName(input: string, value: string): string {
  const problem = appNameProblem(value)
  if (problem === undefined) return value
  const fix = value.length > MAX_APP_NAME ? 'Use a shorter name.' : `For example "${suggestName(value.toLowerCase(), /[^a-z0-9.-]+/g)}".`
  throw invalid(input, value, problem, fix)
}

function suggestName(value: string, bad: RegExp): string {
  const cleaned = value.replace(bad, '-').replace(/^[^a-zA-Z0-9]+/, '').replace(/-+$/, '')
  return cleaned === '' ? 'my-app' : cleaned
}

export function isHostname(value: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return value.split('.').every((o) => Number(o) <= 255)
  if (/^\[?[0-9a-fA-F:]+\]?$/.test(value) && value.includes(':')) return true
  if (value.length > 253) return false
  return value.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
}

function show(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value
  return JSON.stringify(shown)
}

function missing(name: string, hint?: string): ConfigurationError {
  return new ConfigurationError(`Input "${name}" is required and was not supplied. ${hint ?? `Add \`${name}:\` to the step's \`with:\` block.`}`, name)
}

/** Refuses, before connecting, a (non-secret) value that cannot reach the host as one argument of the dokku forced command. */
export function checkArgument(name: string, value: string, fix: string): string {
  const problem = forcedCommandArgumentProblem(value)
  if (problem) throw invalid(name, value, `cannot be sent to Dokku as it is: ${problem}`, fix)
  return value
}

export function invalid(name: string, value: string, problem: string, fix: string): ConfigurationError {
  return new ConfigurationError(`Input "${name}" ${problem}; got ${show(value)}. ${fix}`, name)
}
