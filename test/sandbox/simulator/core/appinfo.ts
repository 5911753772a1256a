// Derived per-app facts shared by several plugins (domains, proxy, checks, git).
import { loadGlobal, prop } from './store.ts'
import type { AppState, GlobalState } from './store.ts'
import type { Ctx } from './ctx.ts'

export function defaultVhosts(app: string, global: GlobalState): string[] {
  if (global.vhosts.length === 0) return []
  if (app.includes('.')) return [app]
  return global.vhosts.map((v) => `${app}.${v}`)
}

export function vhostEnabled(state: AppState): boolean {
  return state.env.NO_VHOST !== '1'
}

export function computedDeployBranch(state: AppState, global: GlobalState, fallback = 'master'): string {
  return prop(state, 'git', 'deploy-branch') || prop(global, 'git', 'deploy-branch') || fallback
}

export function proxyType(state: AppState, global: GlobalState): string {
  return prop(state, 'proxy', 'type') || prop(global, 'proxy', 'type') || 'nginx'
}

export function proxyEnabled(state: AppState): boolean {
  return prop(state, 'proxy', 'disabled') !== 'true'
}

export function checksDisabled(state: AppState, proc: string): boolean {
  const list = (prop(state, 'checks', 'disabled') ?? '').split(',')
  return list.includes('_all_') || list.includes(proc)
}

export function checksSkipped(state: AppState, proc: string): boolean {
  const list = (prop(state, 'checks', 'skipped') ?? '').split(',')
  return list.includes('_all_') || list.includes(proc)
}

export function waitToRetire(state: AppState, global: GlobalState): string {
  return prop(state, 'checks', 'wait-to-retire') || prop(global, 'checks', 'wait-to-retire') || '60'
}

export function portMaps(state: AppState): string[] {
  return state.ports.length > 0 ? state.ports : state.portsDetected
}

/** dokku urls: one per vhost and http(s) host port, or the listener address without vhosts */
export function appUrls(ctx: Ctx, state: AppState, port: number | undefined): string[] {
  const global = loadGlobal(ctx)
  const maps = portMaps(state).map((m) => m.split(':'))
  const web = maps.filter((m) => m[0] === 'http' || m[0] === 'https')
  const vhosts = vhostEnabled(state) ? (state.vhosts ?? []) : []
  if (vhosts.length === 0 || !proxyEnabled(state)) {
    const hostPort = port ?? 5000
    return [`http://127.0.0.1:${hostPort}`]
  }
  void global
  const urls: string[] = []
  const schemes = web.length > 0 ? web : [['http', '80', '5000']]
  for (const vhost of vhosts) {
    for (const [scheme, hostPort] of schemes) {
      const dflt = scheme === 'https' ? '443' : '80'
      urls.push(hostPort === dflt ? `${scheme}://${vhost}` : `${scheme}://${vhost}:${hostPort}`)
    }
  }
  return urls
}
