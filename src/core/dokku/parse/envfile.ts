// What Dokku's ENV file gives back for a config value. The config plugin writes every app's
// environment with godotenv's Write and reads it back with godotenv's Read (dokku v0.38.27
// plugins/config/environment.go:168-173, 332-345), so a value survives `config:set` only if that
// library round-trips it. Dokku up to 0.37.7 builds against joho/godotenv v1.2.0, from 0.37.8 against
// v1.5.1 (dokku plugins/config/go.mod at v0.37.5 and v0.37.8; HISTORY 0.37.8 "#8465"). This module
// models both from their behaviour (godotenv v1.2.0 godotenv.go Marshal/Parse, v1.5.1 godotenv.go
// Marshal and parser.go) for one `KEY=value` line, which is all a value's fate depends on.

/** Which godotenv the host's Dokku stores config with. */
export type EnvFileFormat = 'godotenv-1.2.0' | 'godotenv-1.5.1'

/** The first Dokku version on godotenv 1.5.1. */
export const GODOTENV_151_SINCE = '0.37.8'

/** The value Dokku stores, or why it cannot store it. */
export type StoredValue = { readonly storable: true; readonly stored: string } | { readonly storable: false; readonly problem: string }

/** godotenv's doubleQuoteEscape: backslash, newline, CR, `"`, `!`, `$` and backtick are escaped (same in both versions). */
function escape(value: string): string {
  let out = ''
  for (const ch of value) {
    if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if ('\\"!$`'.includes(ch)) out += `\\${ch}`
    else out += ch
  }
  return out
}

/** Go's strconv.Atoi: base-10 with an optional sign, within int64; returns what `%d` prints. */
function atoi(value: string): string | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined
  const n = BigInt(value)
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined
  return n.toString()
}

/** The line godotenv's Marshal writes for `value`: v1.5.1 writes integers bare with `%d`; v1.2.0 always quotes. */
export function envFileLine(key: string, value: string, format: EnvFileFormat): string {
  const integer = format === 'godotenv-1.5.1' ? atoi(value) : undefined
  return integer !== undefined ? `${key}=${integer}` : `${key}="${escape(value)}"`
}

/** What Dokku stores for `value` on a host with `format`, found by writing and re-reading its line. */
export function storedValue(value: string, format: EnvFileFormat): StoredValue {
  const line = envFileLine('K', value, format)
  return format === 'godotenv-1.5.1' ? read151(line, value) : read120(line)
}

// v1.5.1: the quoted value ends at the first quote not preceded by a backslash, so an escaped
// backslash before the closing quote (a value ending in `\`) runs on into the next line and the
// whole file fails to parse; every trailing quote is trimmed, so a value ending in `"` loses it and
// keeps the backslash that escaped it. Escapes: \n, \r, then `\x` → x except `\$`, then `\$` → `$`.
function read151(line: string, value: string): StoredValue {
  const bare = line.slice(2)
  if (!bare.startsWith('"')) return { storable: true, stored: bare }
  let end = -1
  for (let i = 1; i < bare.length; i++) {
    if (bare[i] === '"' && bare[i - 1] !== '\\') {
      end = i
      break
    }
  }
  if (end === -1)
    return { storable: false, problem: 'it ends in a backslash, which Dokku (godotenv 1.5.1) writes so that the value runs into the next line: the app’s whole config would become unreadable' }
  const inner = bare.slice(0, end).replace(/"+$/, '').replace(/^"+/, '')
  const unescaped = inner
    .replace(/\\./g, (m) => (m === '\\n' ? '\n' : m === '\\r' ? '\r' : m))
    .replace(/\\([^$])/g, '$1')
    .replace(/\\\$/g, '$')
  if (unescaped !== value && value.endsWith('"'))
    return { storable: false, problem: 'it ends in a double quote, which Dokku (godotenv 1.5.1) reads back as a backslash' }
  return { storable: true, stored: unescaped }
}

// v1.2.0: line-based. A line longer than bufio.Scanner's 64 KiB token limit fails the whole file;
// a line with `#` keeps only some `#`-separated segments (its quote-counting comment stripper);
// then the quotes are removed and `\x` → x (\n, \r → newline, CR).
function read120(line: string): StoredValue {
  if (Buffer.byteLength(line) > 64 * 1024)
    return { storable: false, problem: 'its line in the ENV file would be longer than 64 KiB, which Dokku (godotenv 1.2.0) cannot read back: the app’s whole config would become unreadable' }
  let text = line
  if (text.includes('#')) {
    let open = false
    const kept: string[] = []
    for (const segment of text.split('#')) {
      if (count(segment, '"') === 1 || count(segment, "'") === 1) {
        if (open) {
          open = false
          kept.push(segment)
        } else open = true
      }
      if (kept.length === 0 || open) kept.push(segment)
    }
    text = kept.join('#')
  }
  let value = text.slice(2).trim()
  if (value.length > 1 && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'"))
    value = value.slice(1, -1).replace(/\\./g, (m) => (m === '\\n' ? '\n' : m === '\\r' ? '\r' : (m[1] as string)))
  return { storable: true, stored: value }
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1
}
