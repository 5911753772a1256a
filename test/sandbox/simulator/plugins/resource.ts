// resource:limit / reserve / limit-clear / reserve-clear / report.
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { loadApp, updateApp } from '../core/store.ts'
import { parseFlags } from '../core/format.ts'
import { runGoReport } from './apps.ts'

const KEYS = ['cpu', 'memory', 'memory-swap', 'network', 'network-ingress', 'network-egress', 'nvidia-gpu']

function setResources(ctx: Ctx, args: string[], kind: 'limit' | 'reserve'): void {
  const f = parseFlags(ctx, `resource:${kind}`, args, { strings: ['process-type', ...KEYS] })
  const app = verifyApp(ctx, f.positional[0])
  const proc = f.strings.get('process-type') ?? '_default_'
  const suffix = proc === '_default_' ? '' : ` (${proc})`
  const noun = kind === 'limit' ? 'limits' : 'reservation'
  const given = KEYS.filter((k) => f.strings.has(k))
  const state = loadApp(ctx, app)
  if (given.length === 0) {
    ctx.info2(`resource ${noun} ${app} information [defaults]${suffix}`)
    for (const k of KEYS) ctx.verbose(`${k}: ${state.resource[`${proc}.${kind}.${k}`] ?? ''}`)
    return
  }
  ctx.info2(`Setting resource ${noun} for ${app}${suffix}`)
  updateApp(ctx, app, (s) => {
    for (const k of given) {
      const v = f.strings.get(k) as string
      const key = `${proc}.${kind}.${k}`
      if (v === 'clear') {
        delete s.resource[key]
        ctx.verbose(`${k}: cleared`)
      } else {
        s.resource[key] = v
        ctx.verbose(`${k}: ${v}`)
      }
    }
  })
}

function clearResources(ctx: Ctx, args: string[], kind: 'limit' | 'reserve'): void {
  const f = parseFlags(ctx, `resource:${kind}-clear`, args, { strings: ['process-type'] })
  const app = verifyApp(ctx, f.positional[0])
  const proc = f.strings.get('process-type')
  ctx.info2(`clearing ${app} ${kind === 'limit' ? 'limits' : 'reservation'}`)
  updateApp(ctx, app, (s) => {
    for (const key of Object.keys(s.resource)) {
      const [p, k] = key.split('.')
      if (k === kind && (proc === undefined || p === proc)) delete s.resource[key]
    }
  })
}

export const commands: Record<string, Handler> = {
  'resource:limit': (ctx, args) => setResources(ctx, args, 'limit'),
  'resource:reserve': (ctx, args) => setResources(ctx, args, 'reserve'),
  'resource:limit-clear': (ctx, args) => clearResources(ctx, args, 'limit'),
  'resource:reserve-clear': (ctx, args) => clearResources(ctx, args, 'reserve'),
  'resource:report': (ctx, args) =>
    runGoReport(ctx, args, {
      plugin: 'resource',
      type: 'resource',
      emitLegacy: true,
      globalFlags: () => ({}),
      appFlags: (app) => Object.fromEntries(Object.entries(loadApp(ctx, app).resource).map(([k, v]) => [`--resource-${k}`, v]))
    })
}
