// checks:* and builder:* (properties consulted by the deploy).
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { loadApp, loadGlobal, prop, setProp, updateApp, updateGlobal } from '../core/store.ts'
import { parseReportArgs } from '../core/format.ts'
import { runGoReport } from './apps.ts'
import { propertySet } from './ps.ts'
import { eachReport, migratedRender } from '../core/report.ts'

const set: Handler = (ctx, args) => {
  const [target = '', key = '', value = ''] = args
  if (target !== '--global') verifyApp(ctx, target)
  if (key === '') return ctx.fail('No key specified')
  if (key !== 'wait-to-retire') return ctx.fail('Invalid key specified, valid keys include: wait-to-retire')
  if (value !== '') ctx.info2Quiet(`Setting ${key} to ${value}`)
  else ctx.info2Quiet(`Unsetting ${key}`)
  const v = value === '' ? undefined : value
  if (target === '--global') updateGlobal(ctx, (g) => setProp(g, 'checks', key, v))
  else updateApp(ctx, target, (s) => setProp(s, 'checks', key, v))
}

function toggle(ctx: Ctx, args: string[], field: 'disabled' | 'skipped' | 'enabled'): void {
  const app = verifyApp(ctx, args[0])
  const procs = args[1] ? args[1].split(',') : ['_all_']
  const label = procs[0] === '_all_' ? `app (${app})` : `app's (${app}) proctypes (${procs.join(',')})`
  if (field === 'disabled') ctx.info1(`Disabling zero downtime for ${label}`)
  else if (field === 'skipped') ctx.info1(`Skipping zero downtime for ${label}`)
  else ctx.info1(`Enabling zero downtime for ${label}`)
  updateApp(ctx, app, (s) => {
    const get = (k: string): string[] => (prop(s, 'checks', k) ?? '').split(',').filter((x) => x !== '' && x !== 'none')
    let disabled = get('disabled')
    let skipped = get('skipped')
    if (field === 'enabled') {
      disabled = procs[0] === '_all_' ? [] : disabled.filter((p) => !procs.includes(p))
      skipped = procs[0] === '_all_' ? [] : skipped.filter((p) => !procs.includes(p))
    } else if (field === 'disabled') {
      disabled = procs[0] === '_all_' ? ['_all_'] : [...new Set([...disabled, ...procs])]
      skipped = skipped.filter((p) => !procs.includes(p) && procs[0] !== '_all_')
    } else {
      skipped = procs[0] === '_all_' ? ['_all_'] : [...new Set([...skipped, ...procs])]
      disabled = disabled.filter((p) => !procs.includes(p) && procs[0] !== '_all_')
    }
    setProp(s, 'checks', 'disabled', disabled.length ? disabled.join(',') : undefined)
    setProp(s, 'checks', 'skipped', skipped.length ? skipped.join(',') : undefined)
  })
}

const report: Handler = (ctx, args) => {
  const modern = ctx.atLeast('0.38.22')
  const r = parseReportArgs(ctx, 'checks', args, { goFormat: ctx.atLeast('0.38.0'), globalFlag: ctx.atLeast('0.38.0') })
  const global = loadGlobal(ctx)
  const gw = prop(global, 'checks', 'wait-to-retire') ?? ''
  const globalFlags: Array<[string, string]> = [['--checks-global-wait-to-retire', gw]]
  const appFlags = (app: string): Array<[string, string]> => {
    const s = loadApp(ctx, app)
    const w = prop(s, 'checks', 'wait-to-retire') ?? ''
    return [
      ['--checks-disabled-list', prop(s, 'checks', 'disabled') || 'none'],
      ['--checks-skipped-list', prop(s, 'checks', 'skipped') || 'none'],
      ['--checks-computed-wait-to-retire', w || gw || '60'],
      ['--checks-global-wait-to-retire', gw || (modern ? '' : '60')],
      ['--checks-wait-to-retire', w]
    ]
  }
  const render = migratedRender(ctx, 'checks', r, modern)
  eachReport(ctx, r, globalFlags, appFlags, render)
}

const BUILDER_KEYS = ['build-dir', 'selected', 'skip-cleanup']

const builderReport: Handler = (ctx, args) => {
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'builder', k) ?? ''
  runGoReport(ctx, args, {
    plugin: 'builder',
    type: 'builder',
    emitLegacy: true,
    globalFlags: () => ({ '--builder-global-build-dir': g('build-dir'), '--builder-global-selected': g('selected'), '--builder-global-skip-cleanup': g('skip-cleanup') }),
    appFlags: (app) => {
      const s = loadApp(ctx, app)
      const p = (k: string): string => prop(s, 'builder', k) ?? ''
      return {
        '--builder-build-dir': p('build-dir'),
        '--builder-computed-build-dir': p('build-dir') || g('build-dir'),
        '--builder-global-build-dir': g('build-dir'),
        '--builder-selected': p('selected'),
        '--builder-computed-selected': p('selected') || g('selected'),
        '--builder-global-selected': g('selected'),
        '--builder-detected': p('detected'),
        '--builder-skip-cleanup': p('skip-cleanup'),
        '--builder-computed-skip-cleanup': p('skip-cleanup') || g('skip-cleanup') || 'false',
        '--builder-global-skip-cleanup': g('skip-cleanup')
      }
    }
  })
}

export const commands: Record<string, Handler> = {
  'checks:set': set,
  'checks:disable': (ctx, args) => toggle(ctx, args, 'disabled'),
  'checks:enable': (ctx, args) => toggle(ctx, args, 'enabled'),
  'checks:skip': (ctx, args) => toggle(ctx, args, 'skipped'),
  'checks:report': report,
  'checks:run': (ctx, args) => {
    verifyApp(ctx, args[0])
  },
  'builder:set': (ctx, args) => propertySet(ctx, 'builder', args, BUILDER_KEYS, BUILDER_KEYS),
  'builder:report': builderReport
}
