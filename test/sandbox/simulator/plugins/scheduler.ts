// scheduler:set / scheduler:report (the scheduler plugin; Go report with untrimmed keys) and
// nginx:start / nginx:stop (nginx-vhosts: a global proxy-status property, then the init system).
import type { Handler } from '../core/types.ts'
import { loadApp, loadGlobal, prop, setProp, updateGlobal } from '../core/store.ts'
import { runGoReport } from './apps.ts'
import { propertySet } from './ps.ts'

const schedulerReport: Handler = (ctx, args) => {
  const global = (): string => prop(loadGlobal(ctx), 'scheduler', 'selected') || 'docker-local'
  runGoReport(ctx, args, {
    plugin: 'scheduler',
    type: 'scheduler',
    emitLegacy: true,
    globalFlags: () => ({ '--scheduler-global-selected': global() }),
    appFlags: (app) => {
      const selected = prop(loadApp(ctx, app), 'scheduler', 'selected') ?? ''
      return { '--scheduler-computed-selected': selected || global(), '--scheduler-global-selected': global(), '--scheduler-selected': selected }
    }
  })
}

export const commands: Record<string, Handler> = {
  'scheduler:set': (ctx, args) => propertySet(ctx, 'scheduler', args, ['selected'], ['selected']),
  'scheduler:report': schedulerReport,
  'nginx:stop': (ctx) => updateGlobal(ctx, (g) => setProp(g, 'nginx', 'proxy-status', 'stopped')),
  'nginx:start': (ctx) => updateGlobal(ctx, (g) => setProp(g, 'nginx', 'proxy-status', 'started'))
}
