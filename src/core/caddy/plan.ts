// The pure planner of Caddy on a Dokku host: from what was observed to the steps that give one
// app its routing (and the host the settings asked for). caddy-config plans whole apps with it;
// seaweed-provision plans the store's S3 host name with it.
import { PlanError } from '../converge/plan.js'
import { formatPortMap, type PortMap } from '../dokku/parse/ports.js'
import type { CaddyGlobalSettings } from './labels.js'
import { planAppRouting, portMapsWith, renderHost, SEAWEEDFS_S3_PORT, type AppRouting, type HostApp, type Redirect, type Refusal, type RenderedHost, type TlsMode } from './routing.js'

// ---- what to do ------------------------------------------------------------------------------------

/** One app's routing, as asked for. */
export interface AppRoutingInputs {
  app: string
  domains: string[]
  port: number
  labels: [string, string][]
  healthPath: string | undefined
  redirects: Redirect[]
  /** Set by a caller that routes an S3 store (seaweed-provision); default: port 8333. */
  objectStore?: boolean
}

/** What to do on the host, apart from how to connect. */
export interface CaddyRequest {
  /** undefined: keep the host's (and refuse if it has none: without one Caddy serves no HTTPS at all). */
  letsencryptEmail: string | undefined
  letsencryptServer: string | undefined
  tls: TlsMode
  /** undefined: keep the host's. */
  logLevel: string | undefined
  /** undefined: only the host-wide settings. */
  app: AppRoutingInputs | undefined
  /** Probe the domains from the runner after applying. */
  verify: boolean
  /** Refuse instead of switching the host from nginx to Caddy (a caller routing one app of a host caddy-config owns). */
  requireCaddyRunning?: boolean
  dryRun: boolean
}

// ---- what one batch of reads told us ---------------------------------------------------------------

export interface CaddyAppObservation {
  app: string
  /** `proxy:report` computed type. */
  proxyType: string
  proxyEnabled: boolean
  /** `domains:report` app-enabled. */
  vhostsEnabled: boolean
  domains: string[]
  ports: PortMap[]
  /** `caddy:labels:show`. */
  labels: Record<string, string>
  deployed: boolean
  /** Hosts of `network:report` web-listeners (container addresses). */
  upstreamHosts: string[]
  initialNetwork: string
  scheduler: string
}

export interface CaddyObservation {
  /** The global settings as Dokku computes them (defaults filled in). */
  settings: CaddyGlobalSettings
  /** `caddy:logs` found the caddy-caddy-1 container. */
  caddyRunning: boolean
  /** Every app whose proxy is Caddy, plus the app being configured (whatever its proxy). */
  apps: CaddyAppObservation[]
  /** The app being configured exists (undefined: no app asked for). */
  targetExists: boolean | undefined
}

// ---- the plan ----------------------------------------------------------------------------------------

export type GlobalKey = 'letsencrypt-email' | 'letsencrypt-server' | 'log-level'

export type CaddyStep =
  | { kind: 'stop-nginx'; reason: string }
  | { kind: 'set-global'; key: GlobalKey; value: string; reason: string }
  | { kind: 'start-caddy'; reason: string }
  | { kind: 'restart-caddy'; reason: string }
  | { kind: 'set-proxy-type'; app: string; reason: string }
  | { kind: 'enable-proxy'; app: string; reason: string }
  | { kind: 'set-domains'; app: string; domains: string[]; reason: string }
  | { kind: 'set-ports'; app: string; maps: string[]; reason: string }
  | { kind: 'add-label'; app: string; label: string; value: string; reason: string }
  | { kind: 'remove-label'; app: string; label: string; reason: string }
  | { kind: 'rebuild'; app: string; reason: string }

export interface CaddyPlan {
  steps: CaddyStep[]
  /** The settings once applied. */
  settings: CaddyGlobalSettings
  /** The app's routing once applied. */
  routing: AppRouting | undefined
  /** The host as Caddy will see it once applied (and rebuilt). */
  host: RenderedHost
  /** Reasons not to touch the host (the validator adds the blocks Caddy would drop). */
  refusals: Refusal[]
  notices: string[]
  notes: string[]
}

/** What a refused request is about: the caller names its own input for it. */
export type PlanSubject = 'letsencrypt-email' | 'app' | 'caddy'


function sameList(a: readonly string[], b: readonly string[]): boolean {
  const left = [...a].sort()
  const right = [...b].sort()
  return left.length === right.length && left.every((x, i) => x === right[i])
}

/** Pure: the steps that take the host from what was observed to what the inputs ask for. */
export function planCaddy(config: CaddyRequest, observed: CaddyObservation): CaddyPlan {
  const steps: CaddyStep[] = []
  const notes: string[] = []
  const notices: string[] = []
  const current = observed.settings
  const settings: CaddyGlobalSettings = {
    letsencryptEmail: config.letsencryptEmail ?? current.letsencryptEmail,
    letsencryptServer: config.letsencryptServer ?? current.letsencryptServer,
    logLevel: config.logLevel ?? current.logLevel
  }
  if (settings.letsencryptEmail === '')
    throw new PlanError(
      `The host has no Let's Encrypt email and none is asked for. Without one, Dokku's Caddy serves plain HTTP on port 80 only ` +
        `and never publishes port 443, even with tls: internal. Set it with caddy-config's input letsencrypt-email, e.g. ops@example.org.`,
      'letsencrypt-email'
    )

  if (config.requireCaddyRunning && !observed.caddyRunning)
    throw new PlanError(
      "Caddy is not running on the host. Switching a host from nginx to Caddy changes every app's routing: run caddy-config first (with letsencrypt-email), then this action.",
      'caddy'
    )

  // ---- host-wide: switch to Caddy once, restart it only for a property that needs it
  const changed: { key: GlobalKey; value: string; was: string }[] = []
  if (settings.letsencryptEmail !== current.letsencryptEmail) changed.push({ key: 'letsencrypt-email', value: settings.letsencryptEmail, was: current.letsencryptEmail })
  if (settings.letsencryptServer !== current.letsencryptServer) changed.push({ key: 'letsencrypt-server', value: settings.letsencryptServer, was: current.letsencryptServer })
  if (settings.logLevel !== current.logLevel) changed.push({ key: 'log-level', value: settings.logLevel, was: current.logLevel })
  if (!observed.caddyRunning) steps.push({ kind: 'stop-nginx', reason: 'Caddy is not running yet, and nginx holds port 80' })
  for (const c of changed) steps.push({ kind: 'set-global', key: c.key, value: c.value, reason: c.was === '' ? 'not set on the host' : `the host has ${c.was}` })
  if (!observed.caddyRunning) steps.push({ kind: 'start-caddy', reason: 'the caddy-caddy-1 container does not exist' })
  else if (changed.length > 0) steps.push({ kind: 'restart-caddy', reason: `${changed.map((c) => c.key).join(', ')} changed; Caddy reads its settings only when it starts` })

  // The email decides every app's site addresses (`:80` without it): a switch needs every Caddy app rebuilt.
  const emailSwitched = (current.letsencryptEmail === '') !== (settings.letsencryptEmail === '')

  // ---- the app
  let routing: AppRouting | undefined
  const apps: HostApp[] = []
  const focus = new Set<string>()
  const rebuilt = new Set<string>()
  if (config.app) {
    const want = config.app
    if (observed.targetExists === false)
      throw new PlanError(`App ${want.app} does not exist on the host. Create and deploy it first (dokku-deploy), then route it.`, 'app')
    focus.add(want.app)
    routing = planAppRouting({ app: want.app, domains: want.domains, port: want.port, tls: config.tls, healthPath: want.healthPath, labels: want.labels, redirects: want.redirects, objectStore: want.objectStore })
    const app = observed.apps.find((a) => a.app === want.app) as CaddyAppObservation
    let routingChanged = false
    if (app.proxyType !== 'caddy') {
      steps.push({ kind: 'set-proxy-type', app: app.app, reason: `its proxy is ${app.proxyType}` })
      routingChanged = true
    }
    if (!app.proxyEnabled) {
      steps.push({ kind: 'enable-proxy', app: app.app, reason: 'its proxy is disabled, so Dokku would add no routing labels' })
      routingChanged = true
    }
    if (!app.vhostsEnabled)
      throw new PlanError(`${app.app} has domains disabled (domains:disable), so Dokku adds no Caddy labels. Run \`dokku domains:enable ${app.app}\` first.`, 'app')
    if (!sameList(app.domains, routing.domains)) {
      steps.push({ kind: 'set-domains', app: app.app, domains: [...routing.domains], reason: app.domains.length === 0 ? 'it has no domains' : `it has ${app.domains.join(' ')}` })
      routingChanged = true
    }
    const maps = portMapsWith(app.ports, routing).map(formatPortMap)
    if (!sameList(app.ports.map(formatPortMap), maps)) {
      steps.push({ kind: 'set-ports', app: app.app, maps, reason: app.ports.length === 0 ? 'it has no port maps' : `it has ${app.ports.map(formatPortMap).join(' ')}` })
      routingChanged = true
    }
    for (const [label, value] of Object.entries(routing.labels)) {
      if (app.labels[label] === value) continue
      steps.push({ kind: 'add-label', app: app.app, label, value, reason: app.labels[label] === undefined ? 'not set' : `it is ${app.labels[label]}` })
      routingChanged = true
    }
    for (const label of Object.keys(app.labels).sort()) {
      if (label in routing.labels) continue
      steps.push({ kind: 'remove-label', app: app.app, label, reason: 'not asked for (this action owns the app\'s caddy labels)' })
      routingChanged = true
    }
    if (routingChanged || emailSwitched) {
      if (app.deployed) {
        steps.push({ kind: 'rebuild', app: app.app, reason: routingChanged ? 'its routing changed, and Caddy reads it from container labels set at deploy time' : 'the email switch changes its site addresses' })
        rebuilt.add(app.app)
      } else notes.push(`${app.app} is not deployed yet: Caddy routes it from its first deploy.`)
    }
    apps.push({
      app: app.app,
      source: { proxyType: 'caddy', proxyEnabled: true, vhostsEnabled: true, domains: routing.domains, ports: portMapsWith(app.ports, routing), customLabels: routing.labels },
      deployed: app.deployed,
      upstreamHosts: app.upstreamHosts,
      initialNetwork: app.initialNetwork,
      scheduler: app.scheduler,
      objectStore: routing.objectStore
    })
  }
  for (const app of observed.apps) {
    if (app.app === config.app?.app || app.proxyType !== 'caddy') continue
    apps.push({
      app: app.app,
      source: { proxyType: app.proxyType, proxyEnabled: app.proxyEnabled, vhostsEnabled: app.vhostsEnabled, domains: app.domains, ports: app.ports, customLabels: app.labels },
      deployed: app.deployed,
      upstreamHosts: app.upstreamHosts,
      initialNetwork: app.initialNetwork,
      scheduler: app.scheduler,
      objectStore: app.ports.some((m) => m.containerPort === SEAWEEDFS_S3_PORT)
    })
    if (emailSwitched && app.deployed && app.proxyEnabled && app.scheduler !== 'k3s') {
      steps.push({ kind: 'rebuild', app: app.app, reason: `the Let's Encrypt email ${settings.letsencryptEmail === '' ? 'was removed' : 'was set'}, which changes its site addresses` })
      rebuilt.add(app.app)
    }
  }
  const host = renderHost(settings, apps, focus)
  notices.push(...host.warnings)
  for (const skipped of host.skipped) if (!focus.has(skipped.app)) notes.push(`${skipped.app} is left out of the rendered Caddyfile: ${skipped.reason}.`)
  const undeployed = observed.apps.filter((a) => a.proxyType === 'caddy' && a.deployed && a.upstreamHosts.length === 0 && !rebuilt.has(a.app))
  if (undeployed.length > 0) notes.push(`No container address is known for ${undeployed.map((a) => a.app).join(', ')}; the rendered Caddyfile uses 127.0.0.1 in its place.`)
  return { steps, settings, routing, host, refusals: [...host.refusals], notices, notes }
}

// ---- printing -------------------------------------------------------------------------------------

export function stepTitle(step: CaddyStep): string {
  switch (step.kind) {
    case 'stop-nginx':
      return 'Stop nginx (dokku nginx:stop)'
    case 'set-global':
      return `Set caddy ${step.key} to ${step.value} (caddy:set --global)`
    case 'start-caddy':
      return 'Start Caddy (caddy:start)'
    case 'restart-caddy':
      return 'Restart Caddy (caddy:stop, caddy:start)'
    case 'set-proxy-type':
      return `Route ${step.app} through Caddy (proxy:set ${step.app} type caddy)`
    case 'enable-proxy':
      return `Enable ${step.app}'s proxy (proxy:enable)`
    case 'set-domains':
      return `Set ${step.app}'s domains to ${step.domains.join(' ')}`
    case 'set-ports':
      return `Set ${step.app}'s port maps to ${step.maps.join(' ')}`
    case 'add-label':
      return `Set ${step.app}'s label ${step.label}=${step.value}`
    case 'remove-label':
      return `Remove ${step.app}'s label ${step.label}`
    case 'rebuild':
      return `Rebuild ${step.app} (ps:rebuild)`
  }
}

export function renderPlan(plan: CaddyPlan): string[] {
  if (plan.steps.length === 0) return ['Nothing to do: Caddy and the routing are already as asked.']
  return plan.steps.map((step, i) => `${i + 1}. ${stepTitle(step)} — ${step.reason}`)
}
