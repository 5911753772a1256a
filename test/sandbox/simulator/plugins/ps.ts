// ps:* — rebuild, restart, stop, start, scale, set, report.
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadApp, loadGlobal, prop, setProp, updateApp, updateGlobal } from '../core/store.ts'
import { containerRunning, gitReceiveApp, readContainer, releaseAndDeploy, startBuildCapture, stopContainer } from '../core/deploy.ts'
import { goJson, padRight, parseFlags } from '../core/format.ts'
import { runGoReport } from './apps.ts'

function targets(ctx: Ctx, args: string[]): string[] {
  if (args.includes('--all')) return listApps(ctx)
  return [verifyApp(ctx, args.find((a) => !a.startsWith('--')))]
}

function stripParallel(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--parallel') {
      i++
      continue
    }
    out.push(args[i] as string)
  }
  return out
}

const rebuild: Handler = async (ctx, raw) => {
  const args = stripParallel(raw)
  const first = args.find((a) => !a.startsWith('--')) ?? ''
  if (!args.includes('--all')) startBuildCapture(ctx, first, 'ps:rebuild')
  let code = 0
  for (const app of targets(ctx, args)) {
    const c = await gitReceiveApp(ctx, app, undefined)
    if (c !== 0) code = c
  }
  return code
}

const restart: Handler = async (ctx, raw) => {
  const args = stripParallel(raw)
  const positional = args.filter((a) => !a.startsWith('--'))
  if (args.includes('--all') && positional.length > 0) return ctx.fail('Unable to restart all apps when specifying a process name')
  if (!args.includes('--all')) startBuildCapture(ctx, positional[0] ?? '', 'ps:restart')
  let code = 0
  for (const app of targets(ctx, args)) {
    if (!loadApp(ctx, app).deployed) {
      ctx.warn(`App ${app} has not been deployed`)
      continue
    }
    const c = await releaseAndDeploy(ctx, app, 'ps:restart')
    if (c !== 0) code = c
  }
  return code
}

const stop: Handler = (ctx, args) => {
  for (const app of targets(ctx, stripParallel(args))) {
    if (!loadApp(ctx, app).deployed) {
      ctx.warn(`App ${app} has not been deployed`)
      continue
    }
    ctx.info1(`Stopping ${app}`)
    stopContainer(ctx, readContainer(ctx, app))
    updateApp(ctx, app, (s) => (s.running = false))
  }
}

const start: Handler = async (ctx, args) => {
  let code = 0
  for (const app of targets(ctx, stripParallel(args))) {
    const state = loadApp(ctx, app)
    if (!state.deployed) {
      ctx.warn(`App ${app} has not been deployed`)
      continue
    }
    if (containerRunning(ctx, app)) {
      ctx.warn(`App ${app} already running`)
      continue
    }
    ctx.warn('App has been detected as not running, releasing')
    const c = await releaseAndDeploy(ctx, app, 'ps:start')
    if (c !== 0) code = c
  }
  return code
}

const scale: Handler = async (ctx, args) => {
  const spec = ctx.atLeast('0.38.21') ? { bools: ['skip-deploy'], strings: ['format'] } : { bools: ['skip-deploy'] }
  const f = parseFlags(ctx, 'ps:scale', args, spec)
  const app = verifyApp(ctx, f.positional[0])
  const tuples = f.positional.slice(1)
  const state = loadApp(ctx, app)
  if (tuples.length === 0) {
    const entries = Object.entries(state.scale)
    if (f.strings.get('format') === 'json') {
      ctx.out(goJson(entries.map(([t, q]) => ({ process_type: t, quantity: q })), false))
      return
    }
    ctx.info1Quiet(`Scaling for ${app}`)
    if (!ctx.quiet) {
      ctx.out('proctype: qty')
      ctx.out('--------: ---')
    }
    for (const [t, q] of entries) ctx.out(`${padRight(`${t}:`, 5)} ${q}`)
    return
  }
  const changes: Record<string, number> = {}
  for (const tuple of tuples) {
    const [type = '', count] = tuple.split('=')
    if (count === undefined || count === '') return ctx.fail(`Missing count for process type ${type}`)
    if (!/^[0-9]+$/.test(count)) return ctx.fail(`Invalid count for process type ${type}`)
    const n = Number(count)
    const procfile = state.release?.procfile ?? {}
    if (n > 0 && Object.keys(procfile).length > 0 && !(type in procfile)) return ctx.fail(`${type} is not a valid process name to scale up`)
    changes[type] = n
  }
  ctx.info1(`Scaling ${app} processes: ${tuples.join(' ')}`)
  let changed = false
  updateApp(ctx, app, (s) => {
    for (const [t, n] of Object.entries(changes)) {
      if (s.scale[t] !== n) changed = true
      s.scale[t] = n
    }
  })
  if (changed && state.deployed && !f.bools.has('skip-deploy')) {
    const code = await releaseAndDeploy(ctx, app, 'deploy')
    return code
  }
  return 0
}

const PS_KEYS = ['dockerfile-start-cmd', 'procfile-path', 'restart-policy', 'restore', 'skip-deploy', 'start-cmd', 'stop-timeout-seconds']
const PS_GLOBAL = ['procfile-path', 'restart-policy', 'skip-deploy', 'stop-timeout-seconds']

/** Go CommonPropertySet */
export function propertySet(ctx: Ctx, plugin: string, args: string[], keys: string[], globalKeys: string[], validate?: (key: string, value: string) => void): void {
  const [target = '', key = '', ...rest] = args
  const value = rest.join(' ')
  if (target !== '--global') verifyApp(ctx, target)
  if (key === '') return ctx.fail('No property specified')
  if (!keys.includes(key)) return ctx.fail(`Invalid property specified, valid properties include: ${keys.join(', ')}`)
  if (target === '--global' && !globalKeys.includes(key)) return ctx.fail('Property cannot be specified globally')
  if (value !== '' && validate) validate(key, value)
  if (value === '') ctx.info2Quiet(`Unsetting ${key}`)
  else ctx.info2Quiet(`Setting ${key} to ${value}`)
  if (target === '--global') updateGlobal(ctx, (g) => setProp(g, plugin, key, value === '' ? undefined : value))
  else updateApp(ctx, target, (s) => setProp(s, plugin, key, value === '' ? undefined : value))
}

const set: Handler = (ctx, args) => {
  propertySet(ctx, 'ps', args, PS_KEYS, PS_GLOBAL, (key, value) => {
    if (key === 'restart-policy' && !/^(no|always|unless-stopped|on-failure(:[0-9]+)?)$/.test(value)) return ctx.fail('Invalid restart-policy specified')
  })
}

function running(ctx: Ctx, app: string): string {
  const state = loadApp(ctx, app)
  if (!state.deployed) return 'false'
  return containerRunning(ctx, app) ? 'true' : 'false'
}

const report: Handler = (ctx, args) => {
  const modern = ctx.atLeast('0.38.0')
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'ps', k) ?? ''
  runGoReport(ctx, args, {
    plugin: 'ps',
    type: 'ps',
    emitLegacy: true,
    globalFlags: () => ({
      '--ps-global-procfile-path': g('procfile-path'),
      '--ps-global-restart-policy': g('restart-policy'),
      '--ps-global-skip-deploy': g('skip-deploy'),
      '--ps-global-stop-timeout-seconds': g('stop-timeout-seconds')
    }),
    appFlags: (app) => {
      const s = loadApp(ctx, app)
      const p = (k: string): string => prop(s, 'ps', k) ?? ''
      const processes = Object.values(s.scale).reduce((a, b) => a + b, 0)
      const flags: Record<string, string> = {
        '--deployed': String(s.deployed),
        '--processes': String(s.deployed ? processes : 0),
        '--ps-can-scale': 'true',
        '--ps-restart-policy': p('restart-policy'),
        '--ps-computed-restart-policy': p('restart-policy') || g('restart-policy') || 'on-failure:10',
        '--ps-global-restart-policy': g('restart-policy'),
        '--ps-procfile-path': p('procfile-path'),
        '--ps-computed-procfile-path': p('procfile-path') || g('procfile-path') || 'Procfile',
        '--ps-global-procfile-path': g('procfile-path'),
        '--restore': p('restore') || 'true',
        '--running': running(ctx, app)
      }
      if (modern) {
        Object.assign(flags, {
          '--ps-stop-timeout-seconds': p('stop-timeout-seconds'),
          '--ps-computed-stop-timeout-seconds': p('stop-timeout-seconds') || g('stop-timeout-seconds') || '30',
          '--ps-global-stop-timeout-seconds': g('stop-timeout-seconds'),
          '--ps-skip-deploy': p('skip-deploy'),
          '--ps-computed-skip-deploy': p('skip-deploy') || g('skip-deploy') || 'false',
          '--ps-global-skip-deploy': g('skip-deploy'),
          '--ps-start-cmd': p('start-cmd'),
          '--ps-computed-start-cmd': p('start-cmd'),
          '--ps-dockerfile-start-cmd': p('dockerfile-start-cmd'),
          '--ps-computed-dockerfile-start-cmd': p('dockerfile-start-cmd')
        })
      } else {
        flags['--ps-stop-timeout-seconds'] = p('stop-timeout-seconds') || '30'
        flags['--ps-global-stop-timeout-seconds'] = g('stop-timeout-seconds')
      }
      const container = readContainer(ctx, app)
      if (s.deployed) {
        flags['--status-web.1'] = container && containerRunning(ctx, app) ? `running (CID: ${container.name.slice(-11).padStart(11, '0')})` : 'missing'
      }
      return flags
    }
  })
}

export const commands: Record<string, Handler> = {
  'ps:rebuild': rebuild,
  'ps:restart': restart,
  'ps:stop': stop,
  'ps:start': start,
  'ps:scale': scale,
  'ps:set': set,
  'ps:report': report
}
