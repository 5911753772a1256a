// domains:* and url/urls.
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadApp, loadGlobal, updateApp, updateGlobal } from '../core/store.ts'
import { appUrls, defaultVhosts, vhostEnabled } from '../core/appinfo.ts'
import { parseReportArgs } from '../core/format.ts'
import { readContainer } from '../core/deploy.ts'
import { eachReport, migratedRender } from '../core/report.ts'

const HOSTNAME_RE = /^\.?(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?$/

function checkDomains(ctx: Ctx, command: string, app: string, domains: string[]): void {
  if (domains.length === 0) return ctx.fail(`Please specify a domain name. Usage: dokku ${command} ${app} <domain> [<domain> ...]`)
  for (const d of domains) if (!HOSTNAME_RE.test(d)) return ctx.fail(`${d} is invalid. exiting...`)
}

function enableIfDisabled(ctx: Ctx, app: string): void {
  updateApp(ctx, app, (s) => {
    if (!vhostEnabled(s)) delete s.env.NO_VHOST
  })
}

const add: Handler = (ctx, args) => {
  const [appArg = '', ...domains] = args
  if (domains.length === 0) checkDomains(ctx, 'domains:add', appArg, domains)
  const app = verifyApp(ctx, appArg)
  checkDomains(ctx, 'domains:add', app, domains)
  updateApp(ctx, app, (s) => {
    const list = s.vhosts ?? []
    for (const d of domains) {
      if (list.includes(d)) ctx.info1(`Skipping: ${d} already added to ${app}`)
      else {
        list.push(d)
        ctx.info1(`Added ${d} to ${app}`)
      }
    }
    s.vhosts = list
  })
  enableIfDisabled(ctx, app)
}

const set: Handler = (ctx, args) => {
  const [appArg = '', ...domains] = args
  if (domains.length === 0) checkDomains(ctx, 'domains:set', appArg, domains)
  const app = verifyApp(ctx, appArg)
  checkDomains(ctx, 'domains:set', app, domains)
  updateApp(ctx, app, (s) => (s.vhosts = [...domains]))
  ctx.info1(`Set ${domains.join(' ')} for ${app}`)
  enableIfDisabled(ctx, app)
}

const remove: Handler = (ctx, args) => {
  const [appArg = '', ...domains] = args
  if (domains.length === 0) checkDomains(ctx, 'domains:remove', appArg, domains)
  const app = verifyApp(ctx, appArg)
  updateApp(ctx, app, (s) => {
    s.vhosts = (s.vhosts ?? []).filter((v) => !domains.includes(v))
    for (const d of domains) ctx.info1(`Removed ${d} from ${app}`)
  })
}

const clear: Handler = (ctx, args) => {
  const apps = args[0] === '--all' ? listApps(ctx) : [verifyApp(ctx, args[0])]
  for (const app of apps) {
    updateApp(ctx, app, (s) => (s.vhosts = null))
    ctx.info1(`Cleared domains in ${app}`)
  }
}

const reset: Handler = (ctx, args) => {
  const apps = args[0] === '--all' ? listApps(ctx) : [verifyApp(ctx, args[0])]
  for (const app of apps) {
    updateApp(ctx, app, (s) => (s.vhosts = defaultVhosts(app, loadGlobal(ctx))))
    ctx.info1(`Reset domains for ${app}`)
  }
}

const enable: Handler = (ctx, args) => {
  const apps = args[0] === '--all' ? listApps(ctx) : [verifyApp(ctx, args[0])]
  for (const app of apps) {
    const s = loadApp(ctx, app)
    if (vhostEnabled(s)) {
      ctx.info1(`Domains (VHOST) support is already enabled for app (${app})`)
      continue
    }
    const defaults = defaultVhosts(app, loadGlobal(ctx))
    updateApp(ctx, app, (st) => {
      if (defaults.length > 0) st.vhosts = defaults
      delete st.env.NO_VHOST
    })
  }
}

const disable: Handler = (ctx, args) => {
  const apps = args[0] === '--all' ? listApps(ctx) : [verifyApp(ctx, args[0])]
  for (const app of apps) {
    const s = loadApp(ctx, app)
    if (!vhostEnabled(s)) {
      ctx.info1(`Domains (VHOST) support is already disabled for app (${app})`)
      continue
    }
    if (s.vhosts !== null) ctx.info1('App virtual host support disabled')
    updateApp(ctx, app, (st) => {
      st.vhosts = null
      st.env.NO_VHOST = '1'
    })
  }
}

const setGlobal: Handler = (ctx, args) => {
  if (args.length === 0) return ctx.fail('Please specify a global domain name')
  for (const d of args) if (!HOSTNAME_RE.test(d)) return ctx.fail(`${d} is invalid. exiting...`)
  updateGlobal(ctx, (g) => (g.vhosts = [...args]))
  ctx.info1(`Set ${args.join(' ')}`)
}

const addGlobal: Handler = (ctx, args) => {
  if (args.length === 0) return ctx.fail('Please specify a global domain name')
  for (const d of args) if (!HOSTNAME_RE.test(d)) return ctx.fail(`${d} is invalid. exiting...`)
  updateGlobal(ctx, (g) => {
    for (const d of args) {
      if (g.vhosts.includes(d)) ctx.info1(`Skipping ${d}: already added`)
      else {
        g.vhosts.push(d)
        ctx.info1(`Added ${d}`)
      }
    }
  })
}

const removeGlobal: Handler = (ctx, args) => {
  updateGlobal(ctx, (g) => {
    g.vhosts = g.vhosts.filter((v) => !args.includes(v))
    for (const d of args) ctx.info1(`Removed ${d}`)
  })
}

const report: Handler = (ctx, args) => {
  const modern = ctx.atLeast('0.38.22')
  const r = parseReportArgs(ctx, 'domains', args, { goFormat: ctx.atLeast('0.38.0'), globalFlag: ctx.atLeast('0.38.0') })
  const global = loadGlobal(ctx)
  const globalFlags: Array<[string, string]> = [
    ['--domains-global-enabled', String(global.vhosts.length > 0)],
    ['--domains-global-vhosts', global.vhosts.join(' ')]
  ]
  const appFlags = (app: string): Array<[string, string]> => {
    const s = loadApp(ctx, app)
    return [['--domains-app-enabled', String(vhostEnabled(s))], ['--domains-app-vhosts', (s.vhosts ?? []).join(' ')], ...globalFlags]
  }
  const render = migratedRender(ctx, 'domains', r, modern)
  eachReport(ctx, r, globalFlags, appFlags, render)
}

function urls(ctx: Ctx, app: string): string[] {
  return appUrls(ctx, loadApp(ctx, app), readContainer(ctx, app)?.port)
}

export const commands: Record<string, Handler> = {
  'domains:add': add,
  'domains:set': set,
  'domains:remove': remove,
  'domains:clear': clear,
  'domains:reset': reset,
  'domains:enable': enable,
  'domains:disable': disable,
  'domains:set-global': setGlobal,
  'domains:add-global': addGlobal,
  'domains:remove-global': removeGlobal,
  'domains:clear-global': () => {
    throw new Error('unreachable')
  },
  'domains:report': report,
  url: (ctx, args) => {
    const app = verifyApp(ctx, args[0])
    ctx.out(urls(ctx, app)[0] ?? '')
  },
  urls: (ctx, args) => {
    const app = verifyApp(ctx, args[0])
    for (const u of urls(ctx, app)) ctx.out(u)
  }
}
commands['domains:clear-global'] = (ctx) => {
  updateGlobal(ctx, (g) => (g.vhosts = []))
}
