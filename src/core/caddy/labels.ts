// The labels a Dokku app's web container carries for caddy-docker-proxy: those Dokku's caddy
// plugin generates at deploy time (`plugins/caddy-vhosts/docker-args-process-deploy`, contract
// docs/dokku-contract.md#caddy-labels, docs/caddy.md#generated-labels) followed by the app's `caddy:labels:*` labels, which
// win over a generated label of the same name (they come later on the `docker run` line).

import type { PortMap } from '../dokku/parse/ports.js'

/** A label path CDP understands: `caddy` or `caddy_N`, then `.`-separated names (`N_` order prefixes, `_N` isolation suffixes, `@matchers`). */
const ROOT_SEGMENT = /^caddy(?:_\d+)?$/
const SEGMENT = /^(?:\d+_)?@?[A-Za-z0-9][A-Za-z0-9_-]*$/

/** Why `label` is not a Caddy label path, or undefined when it is one. */
export function labelPathProblem(label: string): string | undefined {
  const segments = label.split('.')
  if (!ROOT_SEGMENT.test(segments[0] as string)) return 'must start with "caddy" (or "caddy_N" for another site block)'
  for (const segment of segments.slice(1)) {
    if (segment === '') return 'has an empty segment (two dots, or a dot at the end)'
    if (!SEGMENT.test(segment)) return `has the segment "${segment}", which is not a Caddyfile name (letters, digits, "_" and "-", optionally "@" for a matcher and an "N_" order prefix)`
  }
  return undefined
}

/** Global settings of Dokku's caddy plugin that shape the generated labels and the Caddy container. */
export interface CaddyGlobalSettings {
  /** '' = no HTTPS: sites get `:80`, port 443 is not published (docs/caddy.md#tls-internal). */
  readonly letsencryptEmail: string
  readonly letsencryptServer: string
  /** Upper case, as Dokku stores it. */
  readonly logLevel: string
}

export const DEFAULT_LETSENCRYPT_SERVER = 'https://acme-v02.api.letsencrypt.org/directory'

/** The Caddy container's own labels (`templates/compose.yml.sigil`): CDP turns them into the global options block. */
export function globalLabels(settings: CaddyGlobalSettings): Record<string, string> {
  const labels: Record<string, string> = { 'caddy.log.format': 'json', 'caddy.log.level': settings.logLevel }
  if (settings.letsencryptEmail !== '') {
    labels['caddy.email'] = settings.letsencryptEmail
    labels['caddy.acme_ca'] = settings.letsencryptServer
  } else labels['caddy.auto_https'] = 'off'
  return labels
}

/** What Dokku knows about an app that decides its web container's caddy labels. */
export interface AppLabelSource {
  readonly proxyType: string
  readonly proxyEnabled: boolean
  readonly vhostsEnabled: boolean
  readonly domains: readonly string[]
  readonly ports: readonly PortMap[]
  /** `caddy:labels:show`. */
  readonly customLabels: Readonly<Record<string, string>>
}

export interface GeneratedLabels {
  readonly labels: Record<string, string>
  /** Warnings Dokku prints at deploy time (a missing http:80 / https:443 map). */
  readonly warnings: string[]
}

/**
 * The labels of the app's web container after its next deploy or rebuild; `{}` when Dokku's caddy
 * plugin adds nothing (another proxy, proxy or vhosts disabled). The plugin's `tls-internal`
 * property is left out on purpose: its label is overwritten in the source (docs/caddy.md#tls-internal), so it has no effect.
 */
export function containerLabels(app: AppLabelSource, settings: CaddyGlobalSettings): GeneratedLabels {
  if (app.proxyType !== 'caddy' || !app.proxyEnabled || !app.vhostsEnabled) return { labels: {}, warnings: [] }
  const warnings: string[] = []
  const labels: Record<string, string> = {}
  const http = app.ports.filter((m) => m.scheme === 'http')
  const https = app.ports.filter((m) => m.scheme === 'https')
  const http80 = http.find((m) => m.hostPort === 80)
  const https443 = https.find((m) => m.hostPort === 443)
  const listening = http.length + https.length > 0
  if (listening && app.domains.length > 0) {
    const email = settings.letsencryptEmail
    // With an email and no https:443 map, Dokku serves HTTPS from the http:80 map (or the first http one).
    const httpsMap = https443 ?? http80 ?? http[0]
    if (email !== '' && httpsMap !== undefined) {
      if (!https443) warnings.push('Warning: https:443 port mapping not found')
      labels['caddy'] = app.domains.join(', ')
      labels['caddy.reverse_proxy'] = `{{ upstreams ${httpsMap.containerPort} }}`
    } else if (http.length > 0) {
      if (!http80) warnings.push('Warning: http:80 port mapping not found')
      labels['caddy'] = app.domains.map((d) => `${d}:80`).join(', ')
      labels['caddy.reverse_proxy'] = `{{ upstreams ${(http80 ?? http[0] as PortMap).containerPort} }}`
    }
  }
  return { labels: { ...labels, ...app.customLabels }, warnings }
}
