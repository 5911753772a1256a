// Dokku's ENV files as the config plugin writes and reads them with joho/godotenv (dokku v0.38.27
// plugins/config/environment.go:168-173 Write, :332-345 Read): v1.2.0 up to Dokku 0.37.7, v1.5.1
// from 0.37.8 (dokku HISTORY 0.37.8 #8465). Written from godotenv's behaviour at those tags
// (v1.2.0 godotenv.go Marshal/Parse/parseLine/parseValue; v1.5.1 godotenv.go Marshal, parser.go).
import type { Ctx } from './ctx.ts'
import { atoi, byteSort, godotenvEscape } from './format.ts'

export function uses151(ctx: Ctx): boolean {
  return ctx.atLeast('0.37.8')
}

/** godotenv.Marshal: sorted `K="escaped"` lines; v1.5.1 writes Atoi-able values bare with %d. */
export function writeEnvFile(ctx: Ctx, env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => {
    const n = uses151(ctx) ? atoi(v) : undefined
    return n !== undefined ? `${k}=${n}` : `${k}="${godotenvEscape(v)}"`
  })
  return byteSort(lines).join('\n')
}

/** godotenv.Read of a file Dokku wrote; throws godotenv's error when it cannot be parsed. */
export function readEnvFile(ctx: Ctx, text: string): Record<string, string> {
  return uses151(ctx) ? parse151(text) : parse120(text)
}

/** Stores `env` the way Dokku does: the values read back from the file, or the file's parse error. */
export function storeEnv(ctx: Ctx, env: Record<string, string>): { env: Record<string, string>; envFileError?: string } {
  const text = writeEnvFile(ctx, env)
  try {
    return { env: readEnvFile(ctx, text) }
  } catch (error) {
    return { env, envFileError: (error as Error).message }
  }
}

/** What every reader of a corrupt ENV file meets: godotenv's error, through LogFailWithError. */
export function assertEnvReadable(ctx: Ctx, state: { envFileError?: string }): void {
  if (state.envFileError !== undefined) ctx.fail(state.envFileError)
}

const isSpace = (c: string): boolean => '\t\v\f\r \u0085\u00a0'.includes(c)

function parse151(input: string): Record<string, string> {
  const out: Record<string, string> = {}
  let src = input.replace(/\r\n/g, '\n')
  for (;;) {
    // statement start: skip whitespace and comment lines
    for (;;) {
      const pos = src.search(/\S/u)
      if (pos === -1) return out
      src = src.slice(pos)
      if (src[0] !== '#') break
      const nl = src.indexOf('\n')
      if (nl === -1) return out
      src = src.slice(nl)
    }
    // key
    src = src.replace(/^[\t\v\f\r \u0085\u00a0]+/u, '')
    if (src.startsWith('export') && isSpace(src[6] ?? '')) src = src.slice(6).replace(/^[\t\v\f\r \u0085\u00a0]+/u, '')
    let key = ''
    let offset = -1
    for (let i = 0; i < src.length; i++) {
      const c = src[i] as string
      if (isSpace(c)) continue
      if (c === '=' || c === ':') {
        key = src.slice(0, i)
        offset = i + 1
        break
      }
      if (c === '_' || c === '.' || /[\p{L}\p{N}]/u.test(c)) continue
      throw new Error(`unexpected character ${JSON.stringify(c)} in variable name near ${JSON.stringify(src)}`)
    }
    if (offset === -1) offset = src.length
    key = key.replace(/\s+$/u, '')
    src = src.slice(offset).replace(/^[\t\v\f\r \u0085\u00a0]+/u, '')
    // value
    const quote = src[0] === '"' || src[0] === "'" ? src[0] : undefined
    if (quote === undefined) {
      let end = src.search(/[\n\r]/)
      if (end === -1) end = src.length
      let line = src.slice(0, end)
      for (let i = line.length - 1; i > 0; i--)
        if (line[i] === '#' && isSpace(line[i - 1] as string)) {
          line = line.slice(0, i)
          break
        }
      out[key] = expandVariables(line.replace(/^[\t\v\f\r \u0085\u00a0]+|[\t\v\f\r \u0085\u00a0]+$/gu, ''), out)
      src = src.slice(end)
      continue
    }
    let closed = false
    for (let i = 1; i < src.length; i++) {
      if (src[i] !== quote || src[i - 1] === '\\') continue
      // every quote at either end is trimmed, an escaped one included
      let value = src.slice(0, i).replace(new RegExp(`${quote}+$`), '').replace(new RegExp(`^${quote}+`), '')
      if (quote === '"') value = expandVariables(expandEscapes(value), out)
      out[key] = value
      src = src.slice(i + 1)
      closed = true
      break
    }
    if (!closed) {
      const nl = src.indexOf('\n')
      throw new Error(`unterminated quoted value ${nl === -1 ? src : src.slice(0, nl)}`)
    }
  }
}

function expandEscapes(text: string): string {
  return text.replace(/\\./g, (m) => (m === '\\n' ? '\n' : m === '\\r' ? '\r' : m)).replace(/\\([^$])/g, '$1')
}

function expandVariables(text: string, vars: Record<string, string>): string {
  return text.replace(/(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?/g, (match: string, escaped?: string, _dollar?: string, _paren?: string, name?: string) => {
    if (escaped === '\\') return match.slice(1)
    if (name) return vars[name] ?? ''
    return match
  })
}

function parse120(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const full of text.split('\n')) {
    if (Buffer.byteLength(full) > 64 * 1024) throw new Error('bufio.Scanner: token too long')
    const trimmed = full.replace(/^[ \n\t]+|[ \n\t]+$/g, '')
    if (trimmed === '' || trimmed.startsWith('#')) continue
    let line = full
    if (line.includes('#')) {
      let open = false
      const kept: string[] = []
      for (const segment of line.split('#')) {
        if (segment.split('"').length === 2 || segment.split("'").length === 2) {
          if (open) {
            open = false
            kept.push(segment)
          } else open = true
        }
        if (kept.length === 0 || open) kept.push(segment)
      }
      line = kept.join('#')
    }
    const eq = line.indexOf('=')
    const colon = line.indexOf(':')
    const sep = colon !== -1 && (colon < eq || eq === -1) ? colon : eq
    if (sep === -1) throw new Error("Can't separate key from value")
    let key = line.slice(0, sep)
    if (key.startsWith('export')) key = key.slice(6)
    key = key.replace(/^ +| +$/g, '')
    let value = line.slice(sep + 1).replace(/^ +| +$/g, '')
    if (value.length > 1 && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'"))
      value = value.slice(1, -1).replace(/\\./g, (m) => (m === '\\n' ? '\n' : m === '\\r' ? '\r' : (m[1] as string)))
    out[key] = value
  }
  return out
}
