import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { targetArg, type Target } from '../forms.js'
import { mentions } from '../output.js'
import { formatPortMap, parsePortMap, parsePortMaps, type PortMap } from '../parse/ports.js'
import type { Report } from '../parse/report.js'
import { CHANGED, checkApp, checkNotFlag, checkTarget, unchanged, type DokkuRunner, type Outcome } from '../runner.js'
import { atLeast } from '../version.js'

/** `scheme:host:container` or its parsed form. */
export type PortMapInput = PortMap | string

export interface PortsReport {
  /** The configured maps; empty when none are set (Dokku then uses the detected ones). */
  readonly map: readonly PortMap[]
  /** Maps detected at build time, e.g. `http:80:5000` (docs/dokku-contract.md#ports). */
  readonly detected: readonly PortMap[]
}

function toPortMap(input: PortMapInput): PortMap {
  return typeof input === 'string' ? parsePortMap(input) : input
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort()
  const right = [...new Set(b)].sort()
  return left.length === right.length && left.every((item, i) => item === right[i])
}

/** `ports:*` (docs/dokku-contract.md#ports; the only port API from 0.32). Changes apply on the next deploy or rebuild. */
export class PortsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  async report(app: string): Promise<PortsReport> {
    const report = await this.dokku.report('ports', checkApp(app))
    return { map: parsePortMaps(report['map'] ?? ''), detected: parsePortMaps(report['map-detected'] ?? '') }
  }

  /** `ports:set`: replaces the whole list (idempotent). */
  async set(app: string, maps: readonly PortMapInput[]): Promise<void> {
    if (maps.length === 0) throw new DokkuArgumentError('ports:set needs at least one port map; use ports.clear to remove them all.')
    await this.dokku.runOk({ argv: ['ports:set', checkApp(app), ...maps.map((m) => formatPortMap(toPortMap(m)))], app })
  }

  /**
   * `ports:add`: fails in Dokku when a `scheme:host-port` is already mapped (docs/dokku-contract.md#ports). That returns
   * `unchanged('exists')` when every requested map is already there exactly, and stays an error
   * when the host port is mapped to a different container port.
   */
  async add(app: string, maps: readonly PortMapInput[]): Promise<Outcome> {
    const wanted = maps.map((m) => formatPortMap(toPortMap(m)))
    const invocation = { argv: ['ports:add', checkApp(app), ...wanted], app }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return CHANGED
    if (result.code === 1 && mentions(result, 'is being reused')) {
      const current = (await this.report(app)).map.map(formatPortMap)
      if (wanted.every((map) => current.includes(map))) return unchanged('exists')
    }
    throw this.dokku.failure(invocation, result)
  }

  /** `ports:remove`: by whole map, or by host port (every map on it). Absent maps are a silent success in Dokku. */
  async remove(app: string, maps: readonly (PortMapInput | number)[]): Promise<void> {
    const args = maps.map((m) => (typeof m === 'number' ? String(m) : formatPortMap(toPortMap(m))))
    await this.dokku.runOk({ argv: ['ports:remove', checkApp(app), ...args], app })
  }

  async clear(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['ports:clear', checkApp(app)], app })
  }

  /** Sets exactly `maps` unless they are already configured (order does not matter). */
  async ensure(app: string, maps: readonly PortMapInput[]): Promise<Outcome> {
    const wanted = maps.map((m) => formatPortMap(toPortMap(m)))
    const current = (await this.report(app)).map.map(formatPortMap)
    if (sameSet(wanted, current)) return unchanged('up-to-date')
    if (wanted.length === 0) await this.clear(app)
    else await this.set(app, wanted)
    return CHANGED
  }
}

export interface DomainsReport {
  readonly appEnabled: boolean
  readonly appVhosts: readonly string[]
  readonly globalEnabled: boolean
  readonly globalVhosts: readonly string[]
}

function checkDomains(domains: readonly string[]): string[] {
  return domains.map((domain) => {
    if (/\s/.test(domain) || domain === '') throw new DokkuArgumentError(`"${domain}" is not a domain name.`)
    return checkNotFlag('Domain', domain)
  })
}

/** `domains:*` (docs/dokku-contract.md#domains). With caddy, changes need a redeploy or `ps:rebuild` (routes are container labels). */
export class DomainsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  async report(target: Target): Promise<DomainsReport> {
    const report = await this.dokku.report('domains', checkTarget(target))
    const list = (value: string | undefined) => (value ?? '').split(/\s+/).filter((d) => d !== '')
    return {
      appEnabled: report['app-enabled'] === 'true',
      appVhosts: list(report['app-vhosts']),
      globalEnabled: report['global-enabled'] === 'true',
      globalVhosts: list(report['global-vhosts'])
    }
  }

  /** `domains:add` (idempotent: "Skipping: … already added"). */
  async add(app: string, domains: readonly string[]): Promise<void> {
    await this.dokku.runOk({ argv: ['domains:add', checkApp(app), ...checkDomains(domains)], app })
  }

  /** `domains:set`: replaces the app's list. */
  async set(app: string, domains: readonly string[]): Promise<void> {
    if (domains.length === 0) throw new DokkuArgumentError('domains:set needs at least one domain; use domains.clear to remove them all.')
    await this.dokku.runOk({ argv: ['domains:set', checkApp(app), ...checkDomains(domains)], app })
  }

  /** `domains:remove`: Dokku prints "Removed" even for a domain that was not there (docs/dokku-contract.md#silent-success). */
  async remove(app: string, domains: readonly string[]): Promise<void> {
    await this.dokku.runOk({ argv: ['domains:remove', checkApp(app), ...checkDomains(domains)], app })
  }

  async clear(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['domains:clear', checkApp(app)], app })
  }

  /** Makes the app's domains exactly `domains` (order does not matter). */
  async ensure(app: string, domains: readonly string[]): Promise<Outcome> {
    const current = (await this.report(app)).appVhosts
    if (sameSet(checkDomains(domains), current)) return unchanged('up-to-date')
    if (domains.length === 0) await this.clear(app)
    else await this.set(app, domains)
    return CHANGED
  }
}

export const PROXY_KEYS = ['type', 'disabled', 'proxy-port', 'proxy-ssl-port'] as const
export type ProxyKey = (typeof PROXY_KEYS)[number]

export interface ProxyReport {
  /** The proxy in effect (`computed-type` where reported, else `type`, else Dokku's default `nginx`). */
  readonly type: string
  readonly enabled: boolean
  readonly raw: Report
}

/** `proxy:*` (docs/dokku-contract.md#proxy). Switching the proxy type starts or stops nothing: rebuild the app. */
export class ProxyCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  async report(app: string): Promise<ProxyReport> {
    const raw = await this.dokku.report('proxy', checkApp(app))
    return { type: raw['computed-type'] || raw['type'] || 'nginx', enabled: raw['enabled'] !== 'false', raw }
  }

  /**
   * `proxy:set <app>|--global <key> [<value>]` from 0.38.0 (the key form; its two-word fallback
   * misreads maps). Before 0.38.0 `proxy:set` has no keys: `proxy:set <app> <proxy-type>` is the
   * only form (dokku v0.37.5 plugins/proxy/src/subcommands/subcommands.go: `proxyType :=
   * args.Arg(1)`), so there only `type` with a value can be set, in that form; the key form would
   * set the proxy type to the literal word "type".
   */
  async set(target: Target, key: ProxyKey, value?: string): Promise<void> {
    if (!PROXY_KEYS.includes(key)) throw new DokkuArgumentError(`Unknown proxy property "${String(key)}"; valid: ${PROXY_KEYS.join(', ')}.`)
    const where = targetArg(checkTarget(target))
    let argv: string[]
    if (atLeast(this.dokku.features.version, '0.38.0')) argv = ['proxy:set', where, key, ...(value === undefined ? [] : [checkNotFlag('Proxy value', value)])]
    else if (key === 'type' && value !== undefined) argv = ['proxy:set', where, checkNotFlag('Proxy value', value)]
    else
      throw new DokkuFeatureUnavailableError(
        key === 'type' ? 'Unsetting the proxy type (`proxy:set <app> type` without a value)' : `The proxy property "${key}" (\`proxy:set <app> ${key} …\`)`,
        '0.38.0',
        this.dokku.features.version.raw
      )
    await this.dokku.runOk(typeof target === 'string' ? { argv, app: target } : { argv })
  }

  /** `proxy:enable` (idempotent). */
  async enable(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['proxy:enable', checkApp(app)], app })
  }

  /** `proxy:disable` (idempotent), e.g. for a database app whose ports must not be routed over HTTP (docs/dokku-contract.md#cockroach-app). */
  async disable(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['proxy:disable', checkApp(app)], app })
  }

  /** Sets the app's proxy type unless it is already in effect. */
  async ensureType(app: string, type: string): Promise<Outcome> {
    if ((await this.report(app)).type === type) return unchanged('up-to-date')
    await this.set(app, 'type', type)
    return CHANGED
  }
}
