// Caddy on a Dokku host, converged: observe (few reads over the one connection), plan, check the
// Caddyfile with a real Caddy, print; then (not in a dry run) apply and verify from the runner.
// The one place both caddy-config and seaweed-provision (the store's host name) change Caddy.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_LETSENCRYPT_SERVER, type CaddyGlobalSettings } from './labels.js'
import type { Refusal } from './routing.js'
import { validateBlocks, type ValidationResult } from './validate.js'
import { planOrExplain } from '../converge/plan.js'
import type { DokkuClient } from '../dokku/client.js'
import { GLOBAL } from '../dokku/forms.js'
import { unlessAbsent } from '../dokku/read-memo.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log.js'
import { planCaddy, type CaddyRequest, type PlanSubject, renderPlan, stepTitle, type CaddyAppObservation, type CaddyObservation, type CaddyPlan, type CaddyStep } from './plan.js'
import { invalidBlockLines, verifyDomains, verifyTarget, type DomainCheck } from './verify.js'

export interface CaddyResult {
  plan: CaddyPlan
  validation: ValidationResult
  /** Path of the rendered Caddyfile on the runner. */
  caddyfile: string
  changed: boolean
  done: string[]
  checks: DomainCheck[]
  /** `caddy:logs` lines reporting a dropped block since the change. */
  droppedInLogs: string[]
  certificateIssuer: string
  notices: string[]
  failure: Error | undefined
  durationMs: number
}

/** Refused before any change: names each app and why. */
export class RoutingRefusedError extends Error {
  readonly refusals: readonly Refusal[]
  constructor(refusals: readonly Refusal[]) {
    super(`Refused before changing anything:\n${refusals.map((r) => `- ${r.app}: ${r.reason}`).join('\n')}`)
    this.name = 'RoutingRefusedError'
    this.refusals = refusals
  }
}

/** The after-apply check found a domain that does not work, or a dropped block. */
export class VerifyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'VerifyError'
  }
}

const VERIFY_TIMEOUT_MS = 180_000
const VERIFY_INTERVAL_MS = 3_000

/** The caller's input for each thing a plan can refuse; a refusal on an unnamed one is a plain Error. */
export type PlanInputs = Partial<Record<PlanSubject, string>>

/** Observe, plan, check with a real Caddy, print; then (not in a dry run) apply and verify. */
export interface ConvergeOptions {
  /** The caller's input for each thing a plan can refuse. */
  inputs?: PlanInputs
  /** The plan's heading; default "Plan for Caddy and APP". */
  heading?: string
}

export async function convergeCaddy(dokku: DokkuClient, config: CaddyRequest, logger: Logger, options: ConvergeOptions = {}): Promise<CaddyResult> {
  const inputs = options.inputs ?? {}
  const started = Date.now()
  const observed = await observeCaddy(dokku, config)
  const plan = planOrExplain(() => planCaddy(config, observed), inputs)
  const caddyfile = join(await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'caddy-config-')), 'Caddyfile')
  await writeFile(caddyfile, plan.host.caddyfile)
  const validation = await validateBlocks(plan.host.blocks)
  const refusals = [...plan.refusals, ...droppedRefusals(plan, validation)]
  const heading = options.heading ?? `Plan for Caddy${config.app ? ` and ${config.app.app}` : ''}${config.dryRun ? ' (dry run: nothing will change)' : ''}`
  await logger.group(heading, async () => {
    for (const line of renderPlan(plan)) logger.info(line)
    for (const note of plan.notes) logger.info(`note: ${note}`)
    logger.info(`Rendered Caddyfile (${validation.caddyVersion}, ${validation.validate.ok ? 'valid' : 'INVALID'}): ${caddyfile}`)
    for (const line of plan.host.caddyfile.trimEnd().split('\n')) logger.info(`  ${line}`)
  })
  for (const notice of plan.notices) logger.warning(notice)
  if (!validation.validate.ok) refusals.push({ app: config.app?.app ?? '(host)', reason: `caddy adapt --validate rejects the Caddyfile Caddy would load: ${validation.validate.error}` })
  const result: CaddyResult = {
    plan, validation, caddyfile, changed: false, done: [], checks: [], droppedInLogs: [], certificateIssuer: '', notices: [...plan.notices], failure: undefined, durationMs: 0
  }
  if (refusals.length > 0) result.failure = new RoutingRefusedError(refusals)
  if (config.dryRun || result.failure) {
    result.durationMs = Date.now() - started
    return result
  }
  const appliedAt = Date.now()
  try {
    for (const step of plan.steps) {
      await logger.group(stepTitle(step), () => runStep(dokku, step, logger))
      result.changed = true
      result.done.push(stepTitle(step))
    }
  } catch (error) {
    result.failure = error instanceof Error ? error : new Error(String(error))
    logger.warning(`Stopped at a failed step after ${result.done.length} change(s); the next run observes what is there and finishes the job: ${errorMessage(error)}`)
  }
  if (!result.failure && config.verify && config.app) {
    try {
      await verifyRouting(dokku, config, result, result.changed ? appliedAt : started, logger)
    } catch (error) {
      result.failure = error instanceof Error ? error : new Error(String(error))
    }
  } else if (!config.verify) logger.info('verify: false — the domains were not probed from the runner.')
  result.durationMs = Date.now() - started
  return result
}

function droppedRefusals(plan: CaddyPlan, validation: ValidationResult): Refusal[] {
  return validation.dropped.flatMap((dropped) => {
    const owners = [...plan.host.blocksByApp].filter(([, blocks]) => blocks.some((b) => b.keys.join(' ') === dropped.keys.join(' '))).map(([app]) => app)
    const reason = `caddy-docker-proxy would drop the block "${dropped.head}" ("Removing invalid block"), taking its site offline while the deploy succeeds: ${dropped.error}`
    const focused = owners.filter((app) => app === plan.routing?.app)
    if (focused.length === 0 && owners.length > 0) {
      plan.notices.push(`${owners.join(', ')}: ${reason}`)
      return []
    }
    return [{ app: focused[0] ?? owners[0] ?? '(host)', reason }]
  })
}

// ---- observe: few reads, in parallel over the one connection --------------------------------------------

/** Caddy's state and every app it routes (plus the one asked for), read at once; the channel limit of the connection queues the rest. */
export async function observeCaddy(dokku: DokkuClient, config: CaddyRequest): Promise<CaddyObservation> {
  const target = config.app?.app
  // The target's reads go out with the first round, not after the app list: two round trips, not
  // three. Should the app not exist, they fail unread (it is not in the list).
  const early = target === undefined ? undefined : { proxy: unlessAbsent(dokku.proxy.report(target)), app: unlessAbsent(readRoutingOf(dokku, target)) }
  const globalSettings = dokku.features.caddyComputedReport ? unlessAbsent(readCaddySettings(dokku, undefined)) : undefined
  const [apps, caddyRunning] = await Promise.all([dokku.apps.list(), dokku.caddy.running()])
  const targetExists = target === undefined ? undefined : apps.includes(target)
  const [proxies, settings] = await Promise.all([
    Promise.all(apps.map(async (app) => ({ app, proxy: await (app === target && early ? early.proxy : dokku.proxy.report(app)) }))),
    globalSettings ?? readCaddySettings(dokku, target ?? apps[0])
  ])
  const relevant = proxies.filter(({ app, proxy }) => proxy.type === 'caddy' || app === target)
  // Every app's six reads at once: the connection opens at most DEFAULT_MAX_CHANNELS channels
  // (below sshd's default of 10 sessions) and queues the rest.
  const observedApps: CaddyAppObservation[] = await Promise.all(
    relevant.map(async ({ app, proxy }) => {
      const { domains, ports, labels, ps, network, scheduler } = await (app === target && early ? early.app : readRoutingOf(dokku, app))
      return {
        app,
        proxyType: proxy.type,
        proxyEnabled: proxy.enabled,
        vhostsEnabled: domains.appEnabled,
        domains: [...domains.appVhosts],
        ports: [...ports.map],
        labels,
        deployed: ps.deployed,
        upstreamHosts: listenerHosts(network['web-listeners'] ?? ''),
        initialNetwork: network['computed-initial-network'] ?? network['initial-network'] ?? '',
        scheduler
      }
    })
  )
  return { settings, caddyRunning, apps: observedApps, targetExists }
}

/** What routing reads of one app, at once. */
async function readRoutingOf(dokku: DokkuClient, app: string) {
  const [domains, ports, labels, ps, network, scheduler] = await Promise.all([
    dokku.domains.report(app),
    dokku.ports.report(app),
    dokku.caddy.labels(app),
    dokku.ps.report(app),
    dokku.network.report(app),
    dokku.scheduler.selected(app)
  ])
  return { domains, ports, labels, ps, network, scheduler }
}

/** `172.17.0.5:5000 172.17.0.6:5000` → the container addresses. */
function listenerHosts(listeners: string): string[] {
  return [...new Set(listeners.split(/\s+/).filter((l) => l !== '').map((l) => l.replace(/:\d+$/, '')))]
}

/** The host's global Caddy settings (`someApp`: any app, for hosts whose global report is not computed). */
export async function readCaddySettings(dokku: DokkuClient, someApp: string | undefined): Promise<CaddyGlobalSettings> {
  // The global report (0.38.6+) has the raw values; before, an app's report has the computed ones.
  if (!dokku.features.caddyComputedReport && someApp === undefined) return { letsencryptEmail: '', letsencryptServer: DEFAULT_LETSENCRYPT_SERVER, logLevel: 'ERROR' }
  const raw = await dokku.caddy.report(dokku.features.caddyComputedReport ? GLOBAL : (someApp as string))
  return {
    letsencryptEmail: raw.letsencryptEmail,
    letsencryptServer: raw.letsencryptServer || DEFAULT_LETSENCRYPT_SERVER,
    logLevel: (raw.logLevel || 'ERROR').toUpperCase()
  }
}

// ---- apply -------------------------------------------------------------------------------------------------

async function runStep(dokku: DokkuClient, step: CaddyStep, logger: Logger): Promise<void> {
  switch (step.kind) {
    case 'stop-nginx':
      return dokku.nginx.stop()
    case 'set-global':
      return dokku.caddy.set(GLOBAL, step.key, step.value)
    case 'start-caddy':
      return dokku.caddy.start()
    case 'restart-caddy':
      await dokku.caddy.stop()
      return dokku.caddy.start()
    case 'set-proxy-type':
      return dokku.proxy.set(step.app, 'type', 'caddy')
    case 'enable-proxy':
      return dokku.proxy.enable(step.app)
    case 'set-domains':
      return dokku.domains.set(step.app, step.domains)
    case 'set-ports':
      return dokku.ports.set(step.app, step.maps)
    case 'add-label':
      return dokku.caddy.addLabel(step.app, step.label, step.value)
    case 'remove-label':
      return dokku.caddy.removeLabel(step.app, step.label)
    case 'rebuild':
      await dokku.ps.rebuild(step.app, { onOutput: (line) => logger.info(line) })
      return
  }
}

// ---- verify ------------------------------------------------------------------------------------------------

/**
 * From the runner: each domain of the app answers HTTPS with a certificate for its name and HTTP
 * redirects, and caddy:logs reports no dropped block since `since`. Fills `result.checks`; throws a
 * VerifyError. Exported for a caller that applies first and probes once its app is up.
 */
export async function verifyRouting(dokku: DokkuClient, config: CaddyRequest, result: CaddyResult, since: number, logger: Logger): Promise<void> {
  const { plan } = result
  const app = config.app
  if (!app) return
  const target = verifyTarget()
  // A wildcard has no one name to ask for; Caddy issues per name on demand only.
  const probed = app.domains.filter((d) => !d.startsWith('*.'))
  const wildcards = app.domains.filter((d) => d.startsWith('*.'))
  if (wildcards.length > 0) result.notices.push(`${wildcards.join(', ')} not probed: a wildcard has no single host name to ask for.`)
  const trustChain = config.tls === 'acme' && !/staging/i.test(plan.settings.letsencryptServer)
  const checks = await logger.group(`Verify ${[...probed, ...app.redirects.map((r) => r.from)].join(', ')} from the runner`, () =>
    verifyDomains(probed, app.redirects, {
      target,
      trustChain,
      path: app.healthPath ?? '/',
      timeoutMs: VERIFY_TIMEOUT_MS,
      intervalMs: VERIFY_INTERVAL_MS,
      onAttempt: (line) => logger.info(line)
    })
  )
  result.checks = checks
  result.certificateIssuer = checks.find((c) => c.certificate)?.certificate?.issuer ?? ''
  for (const check of checks) logger.info(`${check.ok ? 'ok' : 'FAILED'} ${check.domain}: ${check.ok ? `HTTPS ${check.httpsStatus}, certificate from ${check.certificate?.issuer}, HTTP ${check.redirectStatus} → ${check.redirectLocation}` : check.problem}`)
  const logs = await dokku.caddy.logs(1000)
  result.droppedInLogs = invalidBlockLines(logs.text, since - 5_000)
  if (plan.settings.logLevel === 'ERROR' || plan.settings.logLevel === 'WARN')
    result.notices.push(`Caddy logs at ${plan.settings.logLevel}: caddy-docker-proxy reports a dropped block at INFO, so the caddy:logs check may not see one (log-level: INFO shows it).`)
  const failed = checks.filter((c) => !c.ok)
  const problems = [
    ...failed.map((c) => `${c.domain}: ${c.problem}`),
    ...(result.droppedInLogs.length > 0 ? [`caddy:logs reports a dropped block since the change:\n${result.droppedInLogs.slice(0, 5).join('\n')}`] : [])
  ]
  if (problems.length > 0) throw new VerifyError(`The routing was applied, but the check from the runner failed:\n${problems.map((p) => `- ${p}`).join('\n')}`)
}
