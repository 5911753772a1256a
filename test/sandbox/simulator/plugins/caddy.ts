// caddy:* (the caddy-vhosts plugin): set, report, start/stop, show-config, logs, labels.
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { appExists, loadApp, loadGlobal, prop, setProp, updateApp, updateGlobal } from '../core/store.ts'
import { parseReportArgs } from '../core/format.ts'
import { eachReport, migratedRender } from '../core/report.ts'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const KEYS = ['image', 'letsencrypt-email', 'letsencrypt-server', 'log-level', 'polling-interval', 'tls-internal']
const GLOBAL_ONLY = ['image', 'letsencrypt-email', 'letsencrypt-server', 'log-level', 'polling-interval']
const DEFAULTS: Record<string, string> = {
  image: 'lucaslorentz/caddy-docker-proxy:2.13',
  'letsencrypt-email': '',
  'letsencrypt-server': 'https://acme-v02.api.letsencrypt.org/directory',
  'log-level': 'ERROR',
  'polling-interval': '5s',
  'tls-internal': 'false'
}

const set: Handler = (ctx, args) => {
  const [target = '', key = '', value = ''] = args
  if (key === '') return ctx.fail('No key specified')
  if (!KEYS.includes(key)) return ctx.fail(`Invalid key specified, valid keys include: ${KEYS.join(' ')}`)
  const global = target === '--global'
  if (!global) {
    if (ctx.atLeast('0.38.3') && GLOBAL_ONLY.includes(key)) return ctx.fail(`The key '${key}' can only be set globally`)
    // every valid key is "global-capable", so the app is not checked (docs/dokku-contract.md#caddy quirk)
    if (!ctx.atLeast('0.38.0') || !KEYS.includes(key)) verifyApp(ctx, target)
  } else if (key === 'tls-internal' && !ctx.atLeast('0.38.0')) return ctx.fail('Property cannot be specified globally')
  const stored = key === 'log-level' ? value.toUpperCase() : value
  if (value !== '') ctx.info2Quiet(`Setting ${key} to ${stored}`)
  else ctx.info2Quiet(`Unsetting ${key}`)
  if (global) updateGlobal(ctx, (g) => setProp(g, 'caddy', key, stored === '' ? undefined : stored))
  else if (appExists(ctx, target)) updateApp(ctx, target, (s) => setProp(s, 'caddy', key, stored === '' ? undefined : stored))
}

const report: Handler = (ctx, args) => {
  const modern = ctx.atLeast('0.38.22')
  const r = parseReportArgs(ctx, 'caddy', args, { goFormat: ctx.atLeast('0.38.0'), globalFlag: ctx.atLeast('0.38.0') })
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'caddy', k) ?? ''
  const globalFlags: Array<[string, string]> = []
  for (const k of KEYS) {
    globalFlags.push([`--caddy-computed-${k}`, g(k) || (DEFAULTS[k] as string)])
    globalFlags.push([`--caddy-global-${k}`, g(k)])
  }
  const appFlags = (app: string): Array<[string, string]> => {
    const s = loadApp(ctx, app)
    const tls = prop(s, 'caddy', 'tls-internal') ?? ''
    if (!ctx.atLeast('0.38.0')) {
      return KEYS.map((k) => [`--caddy-${k}`, k === 'tls-internal' ? tls || 'false' : g(k) || (DEFAULTS[k] as string)])
    }
    return [
      ...globalFlags.map(([f, v]): [string, string] => (f === '--caddy-computed-tls-internal' ? [f, tls || g('tls-internal') || 'false'] : [f, v])),
      ['--caddy-tls-internal', tls]
    ]
  }
  const render = migratedRender(ctx, 'caddy', r, modern)
  eachReport(ctx, r, globalFlags, appFlags, render)
}

function composeYaml(ctx: Ctx): string {
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'caddy', k) || (DEFAULTS[k] as string)
  const email = prop(global, 'caddy', 'letsencrypt-email') ?? ''
  const labels = [`      caddy.log.format: json`, `      caddy.log.level: ${g('log-level')}`]
  if (email) labels.push(`      caddy.email: ${email}`, `      caddy.acme_ca: ${g('letsencrypt-server')}`)
  else labels.push('      caddy.auto_https: "off"')
  return [
    '---',
    'services:',
    '  caddy:',
    `    image: "${g('image')}"`,
    '    restart: unless-stopped',
    '    environment:',
    '      - CADDY_DOCKER_LABEL_PREFIX=caddy',
    `      - CADDY_DOCKER_POLLING_INTERVAL=${g('polling-interval')}`,
    '    labels:',
    ...labels,
    '    network_mode: bridge',
    '    ports:',
    '      - "80:80"',
    ...(email ? ['      - "443:443"'] : []),
    '    volumes:',
    '      - "/var/run/docker.sock:/var/run/docker.sock"',
    '      - "/var/lib/dokku/data/caddy:/data"',
    ''
  ].join('\n')
}

const labelsAdd: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  // proxy/command-functions cmd-proxy-labels-add: the label is $3 and the value $4 only, so a
  // value that the forced command split into several words keeps just its first.
  const [, label = '', value = ''] = args
  if (label === '') return ctx.fail('Please specify a container label for the app')
  if (value === '') return ctx.fail('Please specify a value for the container label')
  updateApp(ctx, app, (s) => (s.caddyLabels[label] = value))
}

const labelsRemove: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const label = args[1] ?? ''
  if (label === '') return ctx.fail('No label specified')
  updateApp(ctx, app, (s) => delete s.caddyLabels[label])
}

const labelsShow: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const labels = loadApp(ctx, app).caddyLabels
  const label = args[1]
  if (label !== undefined) {
    if (label in labels) ctx.out(labels[label] as string)
    return
  }
  const keys = Object.keys(labels).sort()
  if (keys.length === 0) {
    ctx.warnQuiet(`No caddy labels set for ${app}`)
    return
  }
  ctx.info2Quiet(`${app} caddy labels`)
  for (const k of keys) ctx.verbose(`${k}=${labels[k]}`)
}

/**
 * Where the sandbox keeps the log of "caddy-caddy-1". No Caddy container runs here: a test that
 * runs a real caddy for the host writes its stderr to this file.
 */
export function caddyLogFile(ctx: Ctx): string {
  return ctx.path('caddy', 'container.log')
}

// `docker logs caddy-caddy-1 --tail N [--follow]`: the container's stderr comes out on stderr.
const caddyLogs: Handler = (ctx, args) => {
  let num = 100
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '-n' || a === '--num') num = Number(args[++i])
    else if (a.startsWith('--num=')) num = Number(a.slice(6))
    else if (a === '-t' || a === '--tail') continue
    else {
      ctx.out('Usage: dokku caddy:logs')
      return ctx.fail('Internal error')
    }
  }
  if (prop(loadGlobal(ctx), 'caddy', 'proxy-status') !== 'started') {
    ctx.stderr('Error response from daemon: No such container: caddy-caddy-1\n')
    return 1
  }
  const file = caddyLogFile(ctx)
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []
  const shown = Number.isInteger(num) && num >= 0 ? lines.slice(-num) : lines
  if (shown.length > 0) ctx.stderr(`${shown.join('\n')}\n`)
}

const labelCommands: Record<string, Handler> = {
  'caddy:labels:add': labelsAdd,
  'caddy:labels:remove': labelsRemove,
  'caddy:labels:show': labelsShow
}

export const commands: Record<string, Handler> = {
  'caddy:set': set,
  'caddy:report': report,
  'caddy:start': (ctx) => {
    updateGlobal(ctx, (g) => setProp(g, 'caddy', 'proxy-status', 'started'))
  },
  'caddy:stop': (ctx) => {
    updateGlobal(ctx, (g) => setProp(g, 'caddy', 'proxy-status', 'stopped'))
    // compose down removes the container, and its logs with it
    rmSync(caddyLogFile(ctx), { force: true })
  },
  'caddy:show-config': (ctx) => ctx.stdout(composeYaml(ctx)),
  'caddy:logs': caddyLogs,
  ...labelCommands
}
