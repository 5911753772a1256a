import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { targetArg, type Target } from '../forms.js'
import { formatPortMap, parsePortMap, parsePortMaps, type PortMap } from '../parse/ports.js'
import type { Report } from '../parse/report.js'
import { checkApp, checkNotFlag, checkTarget, type DokkuRunner } from '../runner.js'
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
    if (maps.length === 0) throw new DokkuArgumentError('ports:set needs at least one port map.')
    await this.dokku.runOk({ argv: ['ports:set', checkApp(app), ...maps.map((m) => formatPortMap(toPortMap(m)))], app })
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

  /** `domains:set`: replaces the app's list. */
  async set(app: string, domains: readonly string[]): Promise<void> {
    if (domains.length === 0) throw new DokkuArgumentError('domains:set needs at least one domain.')
    await this.dokku.runOk({ argv: ['domains:set', checkApp(app), ...checkDomains(domains)], app })
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
}
