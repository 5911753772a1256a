// ports:*, proxy:* and network:* (the networking plugins).
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadApp, loadGlobal, prop, randomHex, setProp, updateApp, updateGlobal } from '../core/store.ts'
import { goJson, parseFlags } from '../core/format.ts'
import { containerRunning, readContainer } from '../core/deploy.ts'
import { portMaps, proxyType } from '../core/appinfo.ts'
import { askConfirmation, runGoReport } from './apps.ts'
import { propertySet } from './ps.ts'

// ---- ports -----------------------------------------------------------------------------------

function parseMap(ctx: Ctx, map: string): string {
  const parts = map.split(':')
  if (parts.length !== 3) return ctx.fail(`Invalid port map ${map} [len=${parts.length}]`)
  const [scheme, host, container] = parts as [string, string, string]
  for (const p of [host, container]) {
    if (!/^[0-9]+$/.test(p) || Number(p) > 65536) return ctx.fail(`Invalid port map ${map}`)
  }
  return `${scheme}:${Number(host)}:${Number(container)}`
}

function sortMaps(maps: string[]): string[] {
  return [...new Set(maps)].sort()
}

function checkReuse(ctx: Ctx, maps: string[], prefix: string): void {
  const seen = new Set<string>()
  for (const m of maps) {
    const key = m.split(':').slice(0, 2).join(':')
    if (seen.has(key)) return ctx.fail(`${prefix}: The same scheme:host-port is being reused: ${key}`)
    seen.add(key)
  }
}

const portsSet: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const maps = args.slice(1).map((m) => parseMap(ctx, m))
  if (maps.length === 0) return ctx.fail('No port mappings specified')
  checkReuse(ctx, maps, 'Error validating port mappings')
  updateApp(ctx, app, (s) => (s.ports = sortMaps(maps)))
}

const portsAdd: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const maps = args.slice(1).map((m) => parseMap(ctx, m))
  if (maps.length === 0) return ctx.fail('No port mappings specified')
  const existing = loadApp(ctx, app).ports
  checkReuse(ctx, [...existing, ...maps], 'Error validating all port mappings')
  updateApp(ctx, app, (s) => (s.ports = sortMaps([...s.ports, ...maps])))
}

const portsRemove: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const items = args.slice(1)
  if (items.length === 0) return ctx.fail('No port mappings specified')
  const removeHosts = new Set<string>()
  const removeMaps = new Set<string>()
  for (const item of items) {
    if (/^[0-9]+$/.test(item)) removeHosts.add(String(Number(item)))
    else removeMaps.add(parseMap(ctx, item))
  }
  updateApp(ctx, app, (s) => (s.ports = s.ports.filter((m) => !removeMaps.has(m) && !removeHosts.has(m.split(':')[1] as string))))
}

const portsClear: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  updateApp(ctx, app, (s) => (s.ports = []))
}

const portsList: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const maps = portMaps(loadApp(ctx, app))
  if (maps.length === 0) return ctx.fail('No port mappings configured for app')
  ctx.info1Quiet(`Port mappings for ${app}`)
  if (!ctx.quiet) ctx.out('    -----> scheme  host port  container port')
  for (const m of maps) {
    const [scheme = '', host = '', container = ''] = m.split(':')
    ctx.out(`    ${scheme.padEnd(15)}${host.padEnd(11)}${container}`)
  }
}

function mapsJson(maps: string[]): string {
  if (maps.length === 0) return 'null'
  return goJson(
    maps.map((m) => {
      const [scheme = '', host = '0', container = '0'] = m.split(':')
      return { scheme, host_port: Number(host), container_port: Number(container) }
    }),
    false
  )
}

const portsReport: Handler = (ctx, args) => {
  runGoReport(ctx, args, {
    plugin: 'ports',
    type: 'ports',
    emitLegacy: true,
    globalFlags: () => ({}),
    appFlags: (app) => {
      const s = loadApp(ctx, app)
      return {
        '--ports-map': s.ports.join(' '),
        '--ports-map-json': mapsJson(s.ports),
        '--ports-map-detected': s.portsDetected.join(' '),
        '--ports-map-detected-json': mapsJson(s.portsDetected)
      }
    }
  })
}

// ---- proxy -----------------------------------------------------------------------------------

const PROXY_KEYS = ['disabled', 'proxy-port', 'proxy-ssl-port', 'type']

const proxySet: Handler = (ctx, args) => {
  // Before 0.38.0 `proxy:set` has no keys: `proxy:set <app>|--global <proxy-type>` (dokku v0.37.5
  // plugins/proxy/src/subcommands/subcommands.go `proxyType := args.Arg(1)`, proxy/subcommands.go
  // CommandSet), so `proxy:set <app> type caddy` sets the proxy type to "type". Real 0.37 stores it as
  // the DOKKU_APP_PROXY_TYPE / DOKKU_PROXY_TYPE config var; the simulator keeps it where its report reads it.
  if (!ctx.atLeast('0.38.0')) {
    const f = parseFlags(ctx, 'proxy:set', args, { bools: ['global'] })
    const global = f.bools.has('global')
    const app = global ? '--global' : verifyApp(ctx, f.positional[0])
    const proxyType = (global ? f.positional[0] : f.positional[1]) ?? ''
    if (proxyType.length < 2) return ctx.fail('Please specify a proxy type')
    if (proxyType.includes(':')) {
      ctx.warn('Detected potential port mapping instead of proxy type')
      ctx.fail('Consider using ports:set command or specifying a valid proxy')
    }
    ctx.info1('Setting config vars')
    ctx.verbose(`${global ? 'DOKKU_PROXY_TYPE' : 'DOKKU_APP_PROXY_TYPE'}:  ${proxyType}`)
    if (global) updateGlobal(ctx, (g) => setProp(g, 'proxy', 'type', proxyType))
    else updateApp(ctx, app, (s) => setProp(s, 'proxy', 'type', proxyType))
    return
  }
  // 0.38.0+: the key form, with the legacy two-word form as a fallback (dokku v0.38.27 plugins/proxy/subcommands.go CommandSet).
  let a = args
  if (args.length === 2 && !PROXY_KEYS.includes(args[1] as string) && args[0] !== '--global') {
    if ((args[1] as string).includes(':')) {
      ctx.warn('Detected potential port mapping instead of proxy type')
      ctx.fail('Consider using ports:set command or specifying a valid proxy')
    }
    a = [args[0] as string, 'type', args[1] as string]
  }
  propertySet(ctx, 'proxy', a, PROXY_KEYS, ['proxy-port', 'proxy-ssl-port', 'type'])
}

function proxyToggle(ctx: Ctx, args: string[], enable: boolean): void {
  const apps = args.includes('--all') ? listApps(ctx) : [verifyApp(ctx, args.find((x) => !x.startsWith('--')))]
  for (const app of apps) {
    const disabled = prop(loadApp(ctx, app), 'proxy', 'disabled') === 'true'
    if (enable) {
      if (!disabled) ctx.info1(`Proxy is already enabled for app`)
      else {
        ctx.info1('Enabling proxy for app')
        updateApp(ctx, app, (s) => setProp(s, 'proxy', 'disabled', undefined))
      }
    } else if (disabled) ctx.info1('Proxy is already disable for app')
    else {
      ctx.info1('Disabling proxy for app')
      updateApp(ctx, app, (s) => setProp(s, 'proxy', 'disabled', 'true'))
    }
  }
}

const proxyReport: Handler = (ctx, args) => {
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'proxy', k) ?? ''
  const modern = ctx.atLeast('0.38.0')
  runGoReport(ctx, args, {
    plugin: 'proxy',
    type: 'proxy',
    emitLegacy: true,
    globalFlags: () => ({ '--proxy-global-type': g('type'), '--proxy-global-proxy-port': g('proxy-port'), '--proxy-global-proxy-ssl-port': g('proxy-ssl-port') }),
    appFlags: (app): Record<string, string> => {
      const s = loadApp(ctx, app)
      const p = (k: string): string => prop(s, 'proxy', k) ?? ''
      const disabled = p('disabled') === 'true'
      if (!modern) {
        return { '--proxy-enabled': String(!disabled), '--proxy-type': proxyType(s, global), '--proxy-global-type': g('type') || 'nginx' }
      }
      return {
        '--proxy-enabled': String(!disabled),
        '--proxy-disabled': p('disabled'),
        '--proxy-computed-disabled': String(disabled),
        '--proxy-type': p('type'),
        '--proxy-global-type': g('type'),
        '--proxy-computed-type': proxyType(s, global),
        '--proxy-proxy-port': p('proxy-port'),
        '--proxy-global-proxy-port': g('proxy-port'),
        '--proxy-computed-proxy-port': p('proxy-port') || g('proxy-port'),
        '--proxy-proxy-ssl-port': p('proxy-ssl-port'),
        '--proxy-global-proxy-ssl-port': g('proxy-ssl-port'),
        '--proxy-computed-proxy-ssl-port': p('proxy-ssl-port') || g('proxy-ssl-port')
      }
    }
  })
}

// ---- network ---------------------------------------------------------------------------------

const networkCreate: Handler = (ctx, args) => {
  const net = args[0] ?? ''
  if (net === '') return ctx.fail('Please specify a network name')
  if (loadGlobal(ctx).networks[net] || ['bridge', 'host', 'none'].includes(net)) {
    ctx.fail(`Unable to create network: Error response from daemon: network with name ${net} already exists`)
  }
  ctx.info1Quiet(`Creating network ${net}`)
  updateGlobal(ctx, (g) => (g.networks[net] = { id: randomHex(32), createdAt: new Date().toISOString() }))
}

const networkExists: Handler = (ctx, args) => {
  const net = args[0] ?? ''
  if (net === '') return ctx.fail('Please specify a network name')
  if (loadGlobal(ctx).networks[net] || ['bridge', 'host', 'none'].includes(net)) {
    ctx.info1Quiet('Network exists')
    return
  }
  ctx.fail('Network does not exist')
}

const networkDestroy: Handler = (ctx, args) => {
  const net = args.find((a) => !a.startsWith('--')) ?? ''
  if (net === '') return ctx.fail('Please specify a network name')
  if (!loadGlobal(ctx).networks[net]) return ctx.fail('Network does not exist')
  if (!ctx.force && !args.includes('--force')) askConfirmation(ctx, 'network', net)
  ctx.info1Quiet(`Destroying network ${net}`)
  updateGlobal(ctx, (g) => delete g.networks[net])
}

const networkList: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'network:list', args, { strings: ['format'], bools: ['dokku-managed'] })
  const nets = loadGlobal(ctx).networks
  const names = [...Object.keys(nets), ...(f.bools.has('dokku-managed') ? [] : ['bridge', 'host', 'none'])].sort()
  if (f.strings.get('format') === 'json') {
    ctx.out(goJson(names.map((n) => ({
      CreatedAt: nets[n]?.createdAt ?? '', DokkuManaged: nets[n] !== undefined, Driver: n === 'host' ? 'host' : n === 'none' ? 'null' : 'bridge',
      ID: (nets[n]?.id ?? randomHex(32)).slice(0, 12), Internal: false, IPv6: false, Labels: nets[n] ? { 'com.dokku.network-name': n } : {}, Name: n, Scope: 'local'
    })), false))
    return
  }
  ctx.info2Quiet('Networks')
  for (const n of names) ctx.out(n)
}

const NETWORK_KEYS = ['attach-post-create', 'attach-post-deploy', 'bind-all-interfaces', 'initial-network', 'static-web-listener', 'tld']

const networkSet: Handler = (ctx, args) => {
  const [target = '', key = '', ...values] = args
  if (key === 'attach-post-create' || key === 'attach-post-deploy') {
    for (const v of values) if (v === 'bridge' || v === 'host') return ctx.fail(`Invalid network name specified for attach: ${v}`)
    if (target !== '--global' && target !== '') {
      verifyApp(ctx, target)
      const other = prop(loadApp(ctx, target), 'network', key === 'attach-post-create' ? 'attach-post-deploy' : 'attach-post-create') ?? ''
      for (const v of values) if (other.split(',').includes(v)) return ctx.fail(`Network name already associated with this app: ${v}`)
    }
    propertySet(ctx, 'network', [target, key, values.join(',')], NETWORK_KEYS, NETWORK_KEYS)
    return
  }
  propertySet(ctx, 'network', args, NETWORK_KEYS, NETWORK_KEYS)
}

const networkReport: Handler = (ctx, args) => {
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'network', k) ?? ''
  runGoReport(ctx, args, {
    plugin: 'network',
    type: 'network',
    emitLegacy: true,
    globalFlags: () => Object.fromEntries(['attach-post-create', 'attach-post-deploy', 'bind-all-interfaces', 'initial-network', 'tld'].map((k) => [`--network-global-${k}`, g(k)])),
    appFlags: (app) => {
      const s = loadApp(ctx, app)
      const flags: Record<string, string> = {}
      for (const k of ['attach-post-create', 'attach-post-deploy', 'bind-all-interfaces', 'initial-network', 'tld']) {
        const v = prop(s, 'network', k) ?? ''
        flags[`--network-${k}`] = v
        flags[`--network-global-${k}`] = g(k)
        flags[`--network-computed-${k}`] = v || g(k) || (k === 'bind-all-interfaces' ? 'false' : '')
      }
      flags['--network-static-web-listener'] = prop(s, 'network', 'static-web-listener') ?? ''
      const c = readContainer(ctx, app)
      flags['--network-web-listeners'] = c && containerRunning(ctx, app) ? `127.0.0.1:${c.port}` : ''
      return flags
    }
  })
}

export const commands: Record<string, Handler> = {
  'ports:set': portsSet,
  'ports:add': portsAdd,
  'ports:remove': portsRemove,
  'ports:clear': portsClear,
  'ports:list': portsList,
  'ports:report': portsReport,
  'proxy:set': proxySet,
  'proxy:enable': (ctx, args) => proxyToggle(ctx, args, true),
  'proxy:disable': (ctx, args) => proxyToggle(ctx, args, false),
  'proxy:build-config': (ctx, args) => {
    if (!args.includes('--all')) verifyApp(ctx, args.find((a) => !a.startsWith('--')))
  },
  'proxy:clear-config': (ctx, args) => {
    if (!args.includes('--all')) verifyApp(ctx, args.find((a) => !a.startsWith('--')))
  },
  'proxy:report': proxyReport,
  'network:create': networkCreate,
  'network:exists': networkExists,
  'network:destroy': networkDestroy,
  'network:list': networkList,
  'network:set': networkSet,
  'network:report': networkReport
}
