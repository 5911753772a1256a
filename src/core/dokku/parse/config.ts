import { registerUrlCredentials } from '../../secrets.js'
import { DokkuParseError } from '../errors.js'
import { storedValue, type EnvFileFormat } from './envfile.js'

/**
 * Parses `config:export --format json <app>`: `{"K":"v",…}` plus `\n` (docs/dokku-contract.md#config-export).
 * Passwords inside URL values (`DATABASE_URL`, `REDIS_URL`, …) are registered as secrets at once,
 * and so is every whole value that carries one.
 */
export function parseConfigJson(text: string): Record<string, string> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new DokkuParseError('`config:export --format json` output', text, 'expected a JSON object')
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new DokkuParseError('`config:export --format json` output', text, 'expected a JSON object')
  const config: Record<string, string> = {}
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new DokkuParseError('`config:export --format json` output', text, `expected a string value for ${key}`)
    registerUrlCredentials(value)
    config[key] = value
  }
  return config
}

/**
 * The value Dokku stores for `value` on a host whose ENV file is `format` (see envfile.ts): on
 * godotenv 1.5.1 (Dokku 0.37.8+) anything Go's `strconv.Atoi` accepts is re-written with `%d`, so
 * `007`, `+5`, `-0` come back as `7`, `5`, `0`; godotenv 1.2.0 (Dokku up to 0.37.7) keeps them.
 * A value that cannot be stored is returned as given (`configValueProblem` refuses it first).
 */
export function storedConfigValue(value: string, format: EnvFileFormat): string {
  const result = storedValue(value, format)
  return result.storable ? result.stored : value
}

/**
 * Why Dokku cannot keep `value` as given, or undefined when it can (an integer re-formatted by
 * godotenv 1.5.1 counts as kept: it means the same number, and callers warn about it).
 */
export function configValueProblem(value: string, format: EnvFileFormat): string | undefined {
  const result = storedValue(value, format)
  if (!result.storable) return result.problem
  if (result.stored === value || (format === 'godotenv-1.5.1' && /^[+-]?[0-9]+$/.test(value))) return undefined
  return `Dokku (${format.replace('-', ' ')}) would read it back changed`
}

/**
 * Refuses values Dokku cannot store on this host, naming the keys (never the values) and a way
 * around; nothing has been sent when it throws.
 */
export function unstorableConfigMessage(values: Readonly<Record<string, string>>, format: EnvFileFormat): string | undefined {
  const problems = Object.entries(values).flatMap(([key, value]) => {
    const problem = configValueProblem(value, format)
    return problem === undefined ? [] : [`${key}: ${problem}`]
  })
  if (problems.length === 0) return undefined
  return (
    `Dokku cannot store ${problems.length === 1 ? 'this config value' : 'these config values'} as given (${problems.join('; ')}). ` +
    'Nothing was changed. End the value with another character (for example a trailing space or newline the app trims), or store it base64-encoded and decode it in the app.'
  )
}
