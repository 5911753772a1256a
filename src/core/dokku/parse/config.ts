import { registerUrlCredentials } from '../../secrets.js'
import { DokkuParseError } from '../errors.js'

/**
 * Parses `config:export --format json <app>`: `{"K":"v",…}` plus `\n` (contract §4.5).
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
 * The value godotenv stores for `value` (contract §4.5 "storage quirk", §10.13): anything Go's
 * `strconv.Atoi` accepts is re-written with `%d`, so `007`, `+5`, `-0` come back as `7`, `5`, `0`.
 */
export function storedConfigValue(value: string): string {
  if (!/^[+-]?\d+$/.test(value)) return value
  const n = BigInt(value)
  if (n > 9223372036854775807n || n < -9223372036854775808n) return value
  return n.toString()
}
