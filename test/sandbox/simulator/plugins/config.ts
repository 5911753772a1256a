// config:* — set/get/unset/clear/export/show/keys/import/bundle, app or --global.
import { readFileSync } from 'node:fs'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { loadApp, loadGlobal, prop, updateApp, updateGlobal } from '../core/store.ts'
import { byteSort, columnize, godotenvMarshal, godotenvParse, goJson, parseFlags, singleQuoteEscape } from '../core/format.ts'
import { releaseAndDeploy } from '../core/deploy.ts'
import { assertEnvReadable, storeEnv } from '../core/envfile.ts'

const KEY_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/

interface Target {
  app: string
  global: boolean
  rest: string[]
}

function target(ctx: Ctx, command: string, args: string[], spec: { bools?: string[]; strings?: string[] }): { t: Target; f: ReturnType<typeof parseFlags> } {
  const f = parseFlags(ctx, command, args, { bools: ['global', ...(spec.bools ?? [])], strings: spec.strings })
  const global = f.bools.has('global')
  if (global) return { t: { app: '', global: true, rest: f.positional }, f }
  const app = verifyApp(ctx, f.positional[0])
  return { t: { app, global: false, rest: f.positional.slice(1) }, f }
}

function envOf(ctx: Ctx, t: Target, merged = false): Record<string, string> {
  if (t.global) return loadGlobal(ctx).env
  const state = loadApp(ctx, t.app)
  assertEnvReadable(ctx, state)
  const appEnv = state.env
  return merged ? { ...loadGlobal(ctx).env, ...appEnv } : appEnv
}

export function prettyEnv(prefix: string, env: Record<string, string>): string {
  const keys = byteSort(Object.keys(env))
  return columnize(keys.map((k) => [`${k}:`, env[k] as string]), prefix)
}

/** config.SetMany */
export async function setMany(ctx: Ctx, app: string, global: boolean, entries: Record<string, string>, replace: boolean, restart: boolean): Promise<void> {
  for (const k of Object.keys(entries)) if (!KEY_RE.test(k)) return ctx.fail(`Invalid key name: '${k}'`)
  if (!global) assertEnvReadable(ctx, loadApp(ctx, app))
  if (Object.keys(entries).length > 0) {
    ctx.info1Quiet('Setting config vars')
    if (!ctx.quiet) ctx.out(prettyEnv('       ', entries))
    // Written with the host's godotenv and read back: what a later read sees (core/envfile.ts).
    const apply = (env: Record<string, string>): ReturnType<typeof storeEnv> => storeEnv(ctx, { ...(replace ? {} : env), ...entries })
    if (global) updateGlobal(ctx, (g) => (g.env = apply(g.env).env))
    else
      updateApp(ctx, app, (s) => {
        const stored = apply(s.env)
        s.env = stored.env
        if (stored.envFileError !== undefined) s.envFileError = stored.envFileError
      })
  }
  if (!global && restart) await triggerRestart(ctx, app)
}

export async function unsetMany(ctx: Ctx, app: string, global: boolean, keys: string[], restart: boolean): Promise<void> {
  for (const k of keys) if (!KEY_RE.test(k)) return ctx.fail(`Invalid key name: '${k}'`)
  if (!global) assertEnvReadable(ctx, loadApp(ctx, app))
  const apply = (env: Record<string, string>): void => {
    for (const k of keys) {
      if (k in env) {
        ctx.info1Quiet(`Unsetting ${k}`)
        delete env[k]
      } else ctx.info1Quiet(`Skipping ${k}, it is not set in the environment`)
    }
  }
  if (global) updateGlobal(ctx, (g) => apply(g.env))
  else updateApp(ctx, app, (s) => apply(s.env))
  if (!global && restart) await triggerRestart(ctx, app)
}

/** triggerRestart: only deployed apps, only when ps restore != false; failures are a warning. */
export async function triggerRestart(ctx: Ctx, app: string): Promise<void> {
  const state = loadApp(ctx, app)
  if (prop(state, 'ps', 'restore') === 'false') return
  if (!state.deployed) return
  ctx.info1(`Restarting app ${app}`)
  const code = await releaseAndDeploy(ctx, app, 'config-redeploy')
  if (code !== 0) ctx.warn(`Failure while restarting app: exit status ${code}`)
}

function decodeBase64(value: string): string | Error {
  const clean = value.replace(/[\r\n]/g, '')
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] as string
    if (!/[A-Za-z0-9+/=]/.test(c)) return new Error(`illegal base64 data at input byte ${i}`)
  }
  if (clean.length % 4 !== 0) return new Error(`illegal base64 data at input byte ${clean.length - (clean.length % 4)}`)
  const pad = clean.indexOf('=')
  if (pad !== -1 && (pad < clean.length - 2 || !/^=+$/.test(clean.slice(pad)))) return new Error(`illegal base64 data at input byte ${pad}`)
  return Buffer.from(clean, 'base64').toString('utf8')
}

const set: Handler = async (ctx, args) => {
  const { t, f } = target(ctx, 'config:set', args, { bools: ['encoded', 'no-restart'] })
  if (t.rest.length === 0) return ctx.fail('At least one env pair must be given')
  const entries: Record<string, string> = {}
  for (const pair of t.rest) {
    const eq = pair.indexOf('=')
    if (eq === -1) return ctx.fail(`Invalid env pair: ${pair}`)
    const key = pair.slice(0, eq)
    let value = pair.slice(eq + 1)
    if (f.bools.has('encoded')) {
      const decoded = decodeBase64(value)
      if (decoded instanceof Error) return ctx.fail(`${decoded.message} for key '${key}'`)
      value = decoded
    }
    entries[key] = value
  }
  await setMany(ctx, t.app, t.global, entries, false, !f.bools.has('no-restart'))
}

const get: Handler = (ctx, args) => {
  const { t, f } = target(ctx, 'config:get', args, { bools: ['quoted'] })
  if (t.rest.length === 0) return ctx.fail('Expected: key')
  if (t.rest.length !== 1) return ctx.fail(`Unexpected argument(s): [${t.rest.slice(1).join(' ')}]`)
  const key = t.rest[0] as string
  const env = envOf(ctx, t)
  if (!KEY_RE.test(key) || !(key in env)) return 1
  const value = env[key] as string
  ctx.out(f.bools.has('quoted') ? `'${singleQuoteEscape(value)}'` : value)
  return 0
}

const unset: Handler = async (ctx, args) => {
  const { t, f } = target(ctx, 'config:unset', args, { bools: ['no-restart'] })
  if (t.rest.length === 0) return ctx.fail('At least one key must be given')
  await unsetMany(ctx, t.app, t.global, t.rest, !f.bools.has('no-restart'))
}

const clear: Handler = async (ctx, args) => {
  const { t, f } = target(ctx, 'config:clear', args, { bools: ['no-restart'] })
  const apply = (env: Record<string, string>): Record<string, string> => {
    // Go map order is unspecified; byte order is one of its orders and keeps output stable
    for (const k of byteSort(Object.keys(env))) ctx.info1Quiet(`Unsetting ${k}`)
    return {}
  }
  if (t.global) updateGlobal(ctx, (g) => (g.env = apply(g.env)))
  else updateApp(ctx, t.app, (s) => (s.env = apply(s.env)))
  if (!t.global && !f.bools.has('no-restart')) await triggerRestart(ctx, t.app)
}

function quotedList(env: Record<string, string>, prefix: string, sep: string): string {
  return byteSort(Object.keys(env))
    .map((k) => `${prefix}${k}='${singleQuoteEscape(env[k] as string)}'`)
    .join(sep)
}

export function exportEnv(ctx: Ctx, env: Record<string, string>, format: string): string {
  const keys = byteSort(Object.keys(env))
  switch (format) {
    case 'exports':
      return quotedList(env, 'export ', '\n') + '\n'
    case 'envfile':
      return godotenvMarshal(env) + '\n'
    case 'shell':
      return quotedList(env, '', ' ') + ' '
    case 'docker-args':
      return quotedList(env, '--env=', ' ') + '\n'
    case 'docker-args-keys':
      return keys.map((k) => `--env=${k}`).join(' ') + '\n'
    case 'pack-keys':
      return keys.map((k) => `--env ${k}`).join(' ') + '\n'
    case 'json':
      return goJson(env) + '\n'
    case 'json-list':
      return (keys.length === 0 ? 'null' : goJson(keys.map((k) => ({ name: k, value: env[k] })))) + '\n'
    case 'pretty':
      return prettyEnv('', env) + '\n'
    default:
      return ctx.fail(`Unknown export format: ${format}`)
  }
}

const exportCmd: Handler = (ctx, args) => {
  const { t, f } = target(ctx, 'config:export', args, { bools: ['merged'], strings: ['format'] })
  const format = f.strings.get('format') ?? 'exports'
  ctx.stdout(exportEnv(ctx, envOf(ctx, t, f.bools.has('merged')), format))
}

const show: Handler = (ctx, args) => {
  const { t, f } = target(ctx, 'config:show', args, { bools: ['merged', 'shell', 'export'] })
  const env = envOf(ctx, t, f.bools.has('merged'))
  if (f.bools.has('shell') && f.bools.has('export')) return ctx.fail('Only one of --shell and --export can be given')
  if (f.bools.has('shell')) {
    ctx.warn("Deprecated: Use 'config:export --format shell' instead")
    ctx.stdout(quotedList(env, '', ' '))
    return
  }
  if (f.bools.has('export')) {
    ctx.warn("Deprecated: Use 'config:export --format exports' instead")
    ctx.out(quotedList(env, 'export ', '\n'))
    return
  }
  ctx.info2Quiet(`${t.global ? 'global' : t.app} env vars`)
  ctx.out(prettyEnv('', env))
}

const keys: Handler = (ctx, args) => {
  const { t, f } = target(ctx, 'config:keys', args, { bools: ['merged'] })
  for (const k of byteSort(Object.keys(envOf(ctx, t, f.bools.has('merged'))))) ctx.out(k)
}

function readAllStdin(): string {
  const { readFileSync: read } = process.getBuiltinModule('node:fs') as typeof import('node:fs')
  try {
    return read(0, 'utf8')
  } catch {
    return ''
  }
}

const importCmd: Handler = async (ctx, args) => {
  const { t, f } = target(ctx, 'config:import', args, { bools: ['replace', 'no-restart'], strings: ['format'] })
  const file = t.rest[0] ?? ''
  if (file === '-') ctx.info1Quiet('Reading config vars from stdin')
  const format = f.strings.get('format') || 'envfile'
  let text: string
  if (file === '-') text = readAllStdin()
  else {
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      text = ''
    }
  }
  let entries: Record<string, string> = {}
  try {
    if (format === 'envfile') entries = godotenvParse(text)
    else if (format === 'json') entries = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, string>)
    else ctx.fail(`Unknown format: ${format}`)
  } catch (error) {
    if ((error as { code?: number }).code !== undefined) throw error
    ctx.fail((error as Error).message)
  }
  if (Object.keys(entries).length === 0) return ctx.fail('No config vars to set')
  for (const k of byteSort(Object.keys(entries))) ctx.info1Quiet(`Setting config var ${k}=${entries[k]}`)
  await setMany(ctx, t.app, t.global, entries, f.bools.has('replace'), !f.bools.has('no-restart'))
}

export const commands: Record<string, Handler> = {
  'config:set': set,
  'config:get': get,
  'config:unset': unset,
  'config:clear': clear,
  'config:export': exportCmd,
  'config:show': show,
  'config:keys': keys,
  'config:import': importCmd
}
