// What one app's routing should be (domains, port maps, `caddy:labels:*`), the Caddyfile
// caddy-docker-proxy will build from every Caddy app on the host, and the reasons to refuse a
// change before it is made. Pure: the caller observes the host and runs the validator.

import { formatPortMap, type PortMap } from '../dokku/parse/ports.js'
import { blocksFromLabels, cloneBlocks, isGlobalBlock, LabelTemplateError, marshal, mergeBlocks, type Block, type UpstreamResolver } from './caddyfile.js'
import { containerLabels, globalLabels, type AppLabelSource, type CaddyGlobalSettings } from './labels.js'

export type TlsMode = 'acme' | 'internal'
export const TLS_MODES = ['acme', 'internal'] as const satisfies readonly TlsMode[]

export interface Redirect {
  readonly from: string
  readonly to: string
}

export interface AppRoutingRequest {
  readonly app: string
  /** Host names, lower case, already checked. */
  readonly domains: readonly string[]
  /** The container port (4000 for Uro). */
  readonly port: number
  readonly tls: TlsMode
  /** Caddy's own active health check (dokku#8974): no traffic to a container before this path answers. */
  readonly healthPath?: string | undefined
  /** Extra labels, in the caller's order (later wins). */
  readonly labels?: readonly (readonly [string, string])[]
  readonly redirects?: readonly Redirect[]
  /** An S3 store (SeaweedFS): request paths are signed, so no path-prefix routing (seaweed-provision sets this). */
  readonly objectStore?: boolean
}

export interface AppRouting {
  readonly app: string
  readonly domains: readonly string[]
  /** `http:80:PORT` and `https:443:PORT`, the only maps Dokku's caddy plugin reads (docs/dokku-contract.md#caddy). */
  readonly portMaps: readonly PortMap[]
  /** Exactly the `caddy:labels:*` the app should carry. */
  readonly labels: Readonly<Record<string, string>>
  readonly objectStore: boolean
}

/** SeaweedFS's S3 port: an app routed to it is an object store, whoever configures it (docs/caddy.md#store-route). */
export const SEAWEEDFS_S3_PORT = 8333

/** How often Caddy asks the health path, how long one check may take, how long a request waits for a healthy container. */
export const HEALTH_CHECK = { interval: '5s', timeout: '5s', tryDuration: '10s' } as const

/**
 * The routing one app should have. The labels carry what Dokku's plugin cannot say itself:
 * `tls internal` (the `tls-internal` property is dropped by a plugin bug, docs/caddy.md#tls-internal), Caddy's active
 * health check, and one isolated site block (`caddy_N`) per redirected host.
 */
export function planAppRouting(request: AppRoutingRequest): AppRouting {
  const labels: Record<string, string> = {}
  if (request.tls === 'internal') labels['caddy.tls'] = 'internal'
  if (request.healthPath !== undefined) {
    labels['caddy.reverse_proxy.health_uri'] = request.healthPath
    labels['caddy.reverse_proxy.health_interval'] = HEALTH_CHECK.interval
    labels['caddy.reverse_proxy.health_timeout'] = HEALTH_CHECK.timeout
    labels['caddy.reverse_proxy.lb_try_duration'] = HEALTH_CHECK.tryDuration
  }
  ;(request.redirects ?? []).forEach((redirect, index) => {
    const site = `caddy_${index + 1}`
    labels[site] = redirect.from
    labels[`${site}.redir`] = `https://${redirect.to}{uri} permanent`
    if (request.tls === 'internal') labels[`${site}.tls`] = 'internal'
  })
  for (const [label, value] of request.labels ?? []) labels[label] = value
  return {
    app: request.app,
    domains: [...request.domains],
    portMaps: [
      { scheme: 'http', hostPort: 80, containerPort: request.port },
      { scheme: 'https', hostPort: 443, containerPort: request.port }
    ],
    labels,
    objectStore: request.objectStore ?? request.port === SEAWEEDFS_S3_PORT
  }
}

/** Replaces the app's 80/443 maps with the routing's and keeps any other map the app has. */
export function portMapsWith(current: readonly PortMap[], routing: AppRouting): PortMap[] {
  const others = current.filter((m) => !((m.scheme === 'http' || m.scheme === 'https') && (m.hostPort === 80 || m.hostPort === 443)))
  return [...others, ...routing.portMaps].sort((a, b) => formatPortMap(a).localeCompare(formatPortMap(b)))
}

// ---- the whole host ---------------------------------------------------------------------------------

/** One app as Caddy will see it once the plan is applied (the app being configured with its new routing). */
export interface HostApp {
  readonly app: string
  readonly source: AppLabelSource
  /** A web container carries the labels (deployed apps only; others get them at their first deploy). */
  readonly deployed: boolean
  /** Its web containers' addresses (`network:report` web-listeners); [] when unknown. */
  readonly upstreamHosts: readonly string[]
  /** `network:report` computed initial-network ('' = Docker's bridge). */
  readonly initialNetwork: string
  /** `scheduler:report` computed selected. */
  readonly scheduler: string
  readonly objectStore: boolean
}

/** Stands in for container addresses that are not known (an app not deployed yet). */
export const PLACEHOLDER_UPSTREAM_HOST = '127.0.0.1'

export interface RenderedHost {
  /** The Caddyfile CDP would generate, before it drops any block it cannot adapt. */
  readonly caddyfile: string
  /** Its top-level blocks (sorted), for the validator's block-by-block pass. */
  readonly blocks: readonly Block[]
  /** Each app's own blocks, before the merge. */
  readonly blocksByApp: ReadonlyMap<string, readonly Block[]>
  /** Apps left out, and why (not deployed, another scheduler, another network). */
  readonly skipped: readonly { app: string; reason: string }[]
  readonly refusals: readonly Refusal[]
  readonly warnings: readonly string[]
}

export interface Refusal {
  readonly app: string
  readonly reason: string
}

function upstreamResolver(hosts: readonly string[]): UpstreamResolver {
  const targets = [...(hosts.length > 0 ? hosts : [PLACEHOLDER_UPSTREAM_HOST])].sort()
  return ({ protocol, port }) =>
    targets.map((host) => `${protocol === undefined ? '' : `${protocol}://`}${host}${port === undefined ? '' : `:${port}`}`).sort()
}

/**
 * Renders the Caddyfile CDP will build from the Caddy container's global labels and every app's
 * web container labels, and the refusals that do not need Caddy itself: an app on k3s or on a
 * network Caddy cannot see, two apps claiming one site, a path route in front of an S3 store, a
 * template CDP would not expand the same way. `focus` names the apps this run changes: problems
 * of other apps are warnings, not refusals.
 */
export function renderHost(settings: CaddyGlobalSettings, apps: readonly HostApp[], focus: ReadonlySet<string>): RenderedHost {
  const refusals: Refusal[] = []
  const warnings: string[] = []
  const skipped: { app: string; reason: string }[] = []
  const complain = (app: string, reason: string): void => {
    if (focus.has(app)) refusals.push({ app, reason })
    else warnings.push(`${app}: ${reason}`)
  }
  const merged: Block[] = blocksFromLabels(globalLabels(settings), upstreamResolver([]))
  const blocksByApp = new Map<string, Block[]>()
  const owners = new Map<string, Set<string>>()
  for (const host of [...apps].sort((a, b) => a.app.localeCompare(b.app))) {
    if (host.source.proxyType !== 'caddy') continue
    if (host.scheduler === 'k3s') {
      complain(host.app, 'it runs on the k3s scheduler, where Caddy labels do nothing (k3s routes through its own ingress); route it with scheduler-k3s instead')
      skipped.push({ app: host.app, reason: 'k3s scheduler' })
      continue
    }
    if (host.initialNetwork !== '' && host.initialNetwork !== 'bridge') {
      complain(
        host.app,
        `its containers start on network "${host.initialNetwork}", which Caddy cannot see (it watches only Docker's bridge network, so it would log "Container is not in same network as caddy" and route nothing); use \`network:set ${host.app} attach-post-deploy ${host.initialNetwork}\` and leave initial-network unset`
      )
      skipped.push({ app: host.app, reason: `network ${host.initialNetwork}` })
      continue
    }
    if (!host.deployed && !focus.has(host.app)) {
      skipped.push({ app: host.app, reason: 'not deployed: no container carries its labels' })
      continue
    }
    const { labels, warnings: dokkuWarnings } = containerLabels(host.source, settings)
    if (focus.has(host.app)) warnings.push(...dokkuWarnings.map((w) => `${host.app}: ${w}`))
    let blocks: Block[]
    try {
      blocks = blocksFromLabels(labels, upstreamResolver(host.upstreamHosts))
    } catch (error) {
      if (!(error instanceof LabelTemplateError)) throw error
      complain(host.app, error.message)
      continue
    }
    if (host.objectStore) {
      const route = pathRoute(blocks)
      if (route) complain(host.app, `it is an S3 store and ${route}: S3 signs the request path, so a prefix or rewrite breaks every signature; give the store its own host name instead`)
    }
    blocksByApp.set(host.app, cloneBlocks(blocks))
    for (const site of blocks.filter((b) => !isGlobalBlock(b) && !(b.keys[0] ?? '').startsWith('('))) {
      for (const address of siteAddresses(site)) {
        for (const route of proxyRoutes(site.children, '')) {
          const key = route === ' reverse_proxy *' ? address : `${address} (${route.trim()})`
          const set = owners.get(key) ?? new Set<string>()
          set.add(host.app)
          owners.set(key, set)
        }
      }
    }
    mergeBlocks(merged, blocks)
  }
  for (const [address, apps] of owners) {
    if (apps.size < 2) continue
    const names = [...apps].sort()
    const reason = `${address} is claimed by ${names.join(' and ')}: caddy-docker-proxy would merge their site blocks and load-balance these requests across both apps; give each app its own host name, or route one of them by path (handle_path)`
    const mine = names.filter((a) => focus.has(a))
    if (mine.length > 0) for (const app of mine) refusals.push({ app, reason })
    else warnings.push(reason)
  }
  const caddyfile = marshal(merged)
  return { caddyfile, blocks: merged, blocksByApp, skipped, refusals, warnings }
}

/**
 * Where a site proxies: ` reverse_proxy *` for its catch-all, ` handle_path /api/* > reverse_proxy *`
 * for a nested one. Two apps with the same route in one site are load-balanced together.
 */
function proxyRoutes(children: readonly Block[], prefix: string): string[] {
  const routes: string[] = []
  for (const child of children) {
    const name = child.keys[0] ?? ''
    if (name === 'reverse_proxy' || name === 'php_fastcgi') {
      const matcher = child.keys.length > 1 && /^(\*|\/|@)/.test(child.keys[1] as string) ? (child.keys[1] as string) : '*'
      routes.push(`${prefix} ${name} ${matcher}`)
    } else if (child.children.length > 0) routes.push(...proxyRoutes(child.children, `${prefix} ${child.keys.join(' ')} >`))
  }
  return routes
}

/** The host names of a site block's address keys (`a.example,` `b.example:80` → a.example, b.example). */
export function siteAddresses(site: Block): string[] {
  return site.keys
    .flatMap((key) => key.split(','))
    .map((key) => key.trim())
    .filter((key) => key !== '')
    .map((key) => key.replace(/^[a-z0-9+.-]+:\/\//i, '').replace(/\/.*$/, '').replace(/:\d+$/, '').toLowerCase())
    .filter((host) => host !== '')
}

const PATH_DIRECTIVES = new Set(['handle_path', 'uri', 'rewrite', 'strip_prefix'])

/** Describes the first path-prefix route or rewrite in an app's blocks, if any. */
function pathRoute(blocks: readonly Block[]): string | undefined {
  for (const site of blocks) {
    const walk = (b: Block): string | undefined => {
      const name = b.keys[0] ?? ''
      if (PATH_DIRECTIVES.has(name)) return `has a ${name} directive`
      if ((name === 'handle' || name === 'route' || name === 'reverse_proxy') && (b.keys[1] ?? '').startsWith('/') && b.keys[1] !== '/*')
        return `routes only ${b.keys[1]} (${name})`
      for (const child of b.children) {
        const found = walk(child)
        if (found) return found
      }
      return undefined
    }
    for (const child of site.children) {
      const found = walk(child)
      if (found) return found
    }
  }
  return undefined
}
