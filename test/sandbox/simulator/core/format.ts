// Output formats Dokku borrows from Go libraries: encoding/json (HTML-escaped, sorted map
// keys), ryanuber/columnize, joho/godotenv, and the report layouts of docs/dokku-contract.md#reports.
import { Exit } from './ctx.ts'
import type { Ctx } from './ctx.ts'

/** Go json.Marshal string escaping (HTML-safe). */
export function goJsonString(value: string): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Go json.Marshal of any JSON value; map keys sorted like Go maps (struct order kept for arrays of objects made with keyOrder). */
export function goJson(value: unknown, sortKeys = true): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return goJsonString(value)
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((v) => goJson(v, sortKeys)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${goJsonString(k)}:${goJson(v, sortKeys)}`).join(',')}}`
}

export function byteSort(values: string[]): string[] {
  return [...values].sort((a, b) => {
    const x = Buffer.from(a)
    const y = Buffer.from(b)
    return Buffer.compare(x, y)
  })
}

/** ryanuber/columnize with the default config (glue of two spaces) and a prefix. */
export function columnize(rows: string[][], prefix = ''): string {
  const cells = rows.map((r) => r.map((c) => c.trim()))
  const widths: number[] = []
  // widths are computed over every row's cells; every cell but a row's last is padded
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)))
  const lines = cells.map((row) => {
    let line = prefix
    row.forEach((c, i) => {
      if (i === row.length - 1) line += c
      else line += c + ' '.repeat((widths[i] ?? 0) - [...c].length) + '  '
    })
    return line
  })
  return lines.join('\n')
}

/** Go strconv.Atoi acceptance (base 10, optional sign, int64 range) → normalised decimal, else undefined. */
export function atoi(value: string): string | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined
  const n = BigInt(value)
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined
  return n.toString()
}

export function godotenvEscape(value: string): string {
  let out = ''
  for (const ch of value) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '"') out += '\\"'
    else if (ch === '!') out += '\\!'
    else if (ch === '$') out += '\\$'
    else if (ch === '`') out += '\\`'
    else out += ch
  }
  return out
}

export function godotenvMarshal(env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => {
    const n = atoi(v)
    return n !== undefined ? `${k}=${n}` : `${k}="${godotenvEscape(v)}"`
  })
  return byteSort(lines).join('\n')
}

/** godotenv.Parse (subset sufficient for envfiles produced by users and by config:export). */
export function godotenvParse(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const src = text.replace(/\r\n/g, '\n')
  let i = 0
  while (i < src.length) {
    // skip blank lines and comments
    const lineEnd = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i)
    let line = src.slice(i, lineEnd)
    if (line.trim() === '' || line.trim().startsWith('#')) {
      i = lineEnd + 1
      continue
    }
    line = line.replace(/^\s*export\s+/, '')
    const m = /^\s*([A-Za-z0-9_.-]+)\s*[=:]\s*/.exec(line)
    if (!m) throw new Error(`unexpected character "${line[0] ?? ''}" in variable name near "${line}"`)
    const key = m[1] as string
    const offset = i + (src.slice(i, lineEnd).length - line.length) + m[0].length
    const first = src[offset]
    if (first === '"' || first === "'") {
      let j = offset + 1
      while (j < src.length && !(src[j] === first && src[j - 1] !== '\\')) j++
      let value = src.slice(offset + 1, j)
      if (first === '"') {
        value = value.replace(/\\./g, (s) => (s === '\\n' ? '\n' : s === '\\r' ? '\r' : s)).replace(/\\([^$])/g, '$1').replace(/\\\$/g, '$')
      }
      out[key] = value
      const nl = src.indexOf('\n', j)
      i = nl === -1 ? src.length : nl + 1
    } else {
      let value = src.slice(offset, lineEnd)
      const hash = value.indexOf(' #')
      if (hash !== -1) value = value.slice(0, hash)
      out[key] = value.trim()
      i = lineEnd + 1
    }
  }
  return out
}

export function singleQuoteEscape(value: string): string {
  return value.replace(/'/g, "'\\''")
}

/** printf "%-Ns" */
export function padRight(text: string, width: number): string {
  const len = [...text].length
  return len >= width ? text : text + ' '.repeat(width - len)
}

export function ucFirst(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1)
}

// ---- reports ---------------------------------------------------------------------------

export interface ReportArgs {
  app: string
  infoFlag: string
  format: string
  global: boolean
}

/**
 * Go ParseReportArgs (+ the per-command positional). Before 0.38 there is no `--global`
 * and no `--format` on reports: they are taken as info flags.
 */
export function parseReportArgs(ctx: Ctx, plugin: string, args: string[], opts: { goFormat: boolean; globalFlag: boolean }): ReportArgs {
  const positional: string[] = []
  const infoFlags: string[] = []
  let format = ''
  let global = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--format' && opts.goFormat) {
      format = args[i + 1] ?? ''
      i++
      continue
    }
    if (a === '--global' && opts.globalFlag) {
      global = true
      continue
    }
    if (a.startsWith('--')) infoFlags.push(a)
    else positional.push(a)
  }
  if (infoFlags.length > 1) ctx.fail(`${plugin}:report command allows only a single flag`)
  if (format !== '' && infoFlags.length > 0) ctx.fail('--format flag cannot be specified when specifying an info flag')
  if (format !== '' && format !== 'stdout' && format !== 'json') ctx.fail(`Invalid --format value specified`)
  return { app: positional[0] ?? '', infoFlag: infoFlags[0] ?? '', format, global }
}

export interface GoReportInput {
  type: string
  name: string
  flags: Record<string, string>
  infoFlag: string
  format: string
  trimPrefix: boolean
  emitLegacy: boolean
  ucFirst: boolean
}

/** Go ReportSingleApp (docs/dokku-contract.md#reports). */
export function goReport(ctx: Ctx, input: GoReportInput): void {
  const keys = Object.keys(input.flags).sort()
  if (input.format === 'json') {
    const data: Record<string, string> = {}
    const prefix = `--${input.type}-`
    for (const k of keys) {
      const v = input.flags[k] as string
      const legacy = k.replace(/^--/, '')
      if (input.trimPrefix && k.startsWith(prefix)) {
        data[k.slice(prefix.length)] = v
        if (input.emitLegacy) data[legacy] = v
      } else data[legacy] = v
    }
    ctx.out(goJson(data))
    return
  }
  const width = Math.max(31, ...keys.map((k) => k.length))
  if (input.infoFlag === '') {
    ctx.info2Quiet(`${input.name} ${input.type} information`)
    for (const k of keys) {
      let key = k.replace(/^--/, '').replace(/-/g, ' ').replace(/\./g, ' ')
      if (input.ucFirst) key = ucFirst(key)
      ctx.verbose(padRight(`${key}:`, width) + (input.flags[k] as string))
    }
    return
  }
  if (input.infoFlag in input.flags) {
    ctx.out(input.flags[input.infoFlag] as string)
    return
  }
  ctx.fail(`Invalid flag passed, valid flags: ${keys.join(', ')}`)
}

/** Bash-era report (`printf "%-30s %-25s"`), flags in script order. */
export function bashReport(ctx: Ctx, header: string, flags: Array<[string, string]>, infoFlag: string, width = 30): void {
  if (infoFlag === '') {
    ctx.info2Quiet(header)
    for (const [flag, value] of flags) {
      const key = ucFirst(flag.replace(/^--/, '').replace(/-/g, ' ') + ':')
      ctx.verbose(`${padRight(key, width)} ${padRight(value, 25)}`)
    }
    return
  }
  let match = false
  for (const [flag, value] of flags) {
    if (flag === infoFlag) {
      match = true
      if (value.length > 0) ctx.out(value)
    }
  }
  if (!match) ctx.fail(`Invalid flag passed, valid flags: ${flags.map(([f]) => f).join(' ')}`)
}

/** 0.38.0–0.38.21 bash report JSON (jq -c, script order, prefix stripped). */
export function bashReportJson(ctx: Ctx, plugin: string, flags: Array<[string, string]>): void {
  const prefix = `--${plugin}-`
  const obj: Record<string, string> = {}
  for (const [flag, value] of flags) obj[flag.startsWith(prefix) ? flag.slice(prefix.length) : flag.replace(/^--/, '')] = value
  ctx.out(goJson(obj, false))
}

// ---- pflag -----------------------------------------------------------------------------

export interface FlagSpec {
  bools?: string[]
  strings?: string[]
  /** repeated string flags */
  arrays?: string[]
  /** short aliases: e.g. { e: 'env' } */
  short?: Record<string, string>
  /** stop parsing at the first positional (docker-options) */
  stopAtPositional?: boolean
}

export interface ParsedFlags {
  bools: Set<string>
  strings: Map<string, string>
  arrays: Map<string, string[]>
  positional: string[]
}

/** spf13/pflag with ExitOnError: interspersed flags; unknown flag → usage on stderr, exit 2. */
/**
 * pflag's answer to a flag its set does not define (spf13/pflag v1.0.10 flag.go failf + errors.go):
 * exit 2. `parseFlags` lets dokku's global flags through every set; a command whose set really lacks
 * one (e.g. `storage:destroy --force` before 0.38.10) calls this itself.
 */
export function pflagUnknownFlag(ctx: Ctx, command: string, flag: string): never {
  ctx.err(`unknown flag: ${flag}`)
  ctx.err(`Usage of ${command}:`)
  throw new Exit(2)
}

export function parseFlags(ctx: Ctx, command: string, args: string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = { bools: new Set(), strings: new Map(), arrays: new Map(), positional: [] }
  const bools = new Set(spec.bools ?? [])
  const strings = new Set(spec.strings ?? [])
  const arrays = new Set(spec.arrays ?? [])
  const global = new Set(['quiet', 'trace', 'force'])
  const unknown = (flag: string): never => pflagUnknownFlag(ctx, command, flag)
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--') {
      out.positional.push(...args.slice(i + 1))
      break
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=')
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq)
      const inline = eq === -1 ? undefined : a.slice(eq + 1)
      if (bools.has(name)) {
        if (inline === undefined || inline === 'true') out.bools.add(name)
        else out.bools.delete(name)
      } else if (strings.has(name) || arrays.has(name)) {
        let value = inline
        if (value === undefined) {
          if (i + 1 >= args.length) {
            ctx.err(`flag needs an argument: --${name}`)
            ctx.err(`Usage of ${command}:`)
            throw new Exit(2)
          }
          value = args[++i] as string
        }
        if (arrays.has(name)) out.arrays.set(name, [...(out.arrays.get(name) ?? []), value])
        else out.strings.set(name, value)
      } else if (global.has(name)) {
        // dokku's global flags are accepted by the Go flag sets
      } else unknown(a)
      continue
    }
    if (a.startsWith('-') && a.length > 1 && spec.short) {
      const name = spec.short[a.slice(1, 2)]
      if (name === undefined) {
        ctx.err(`unknown shorthand flag: '${a.slice(1, 2)}' in ${a}`)
        ctx.err(`Usage of ${command}:`)
        throw new Exit(2)
      }
      if (bools.has(name)) out.bools.add(name)
      else {
        const value = a.length > 2 ? a.slice(2) : (args[++i] ?? '')
        if (arrays.has(name)) out.arrays.set(name, [...(out.arrays.get(name) ?? []), value])
        else out.strings.set(name, value)
      }
      continue
    }
    out.positional.push(a)
    if (spec.stopAtPositional) {
      out.positional.push(...args.slice(i + 1))
      break
    }
  }
  return out
}
