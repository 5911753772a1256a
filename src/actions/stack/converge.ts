// The whole stack over one connection: each resource's converger in dependency order — services;
// apps (created, config, secrets, storage); the object store and its identities (which write keys
// into the apps' config, so the apps come first); links; deploys; the restarts a deploy did not
// already do; the proxy with its health check. Every converger observes before it plans, so in
// `apply` each one sees what the ones before it did. In `dry-run` and `check` nothing changes, so
// a converger that cannot plan before an earlier one has applied is noted, not failed.
//
// The whole stack is observed once, up front: every converger's reads are sent at once (the
// connection keeps up to 8 in flight) and the client remembers their answers (read-memo.ts), so
// when each converger observes for itself it finds them answered, unless a step written since has
// made them stale. A converged host is read once, in a few round trips, whatever its size.
import { convergeCaddy, observeCaddy, readCaddySettings } from '../../core/caddy/converge.js'
import { applyAppStep, observeApp, planApp, type AppStep } from '../../core/converge/app.js'
import { applySteps, DriftError, printPlan, type ConvergeMode } from '../../core/converge/apply.js'
import type { DokkuHost } from '../../core/converge/host.js'
import { emptyPlan, type Plan, type Step } from '../../core/converge/plan.js'
import { stepLine } from '../../core/converge/render.js'
import { findUnmanaged, observeInventory } from '../../core/converge/unmanaged.js'
import { ConfigurationError, errorMessage } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import type { CaddyConfig } from '../caddy-config/inputs.js'
import { convergeDeploy, observeDeploy, type DeploySourceCheck } from '../dokku-deploy/deploy.js'
import { stepTitle as deployStepTitle } from '../dokku-deploy/plan.js'
import type { ServiceConfig } from '../dokku-service/inputs.js'
import { convergeService, observeService } from '../dokku-service/service.js'
import { convergeSeaweed } from '../seaweed-provision/provision.js'
import { Inputs } from './inputs.js'
import type { StackResources } from './resources.js'
import { caddySteps, deploySteps, seaweedSteps, serviceSteps } from './steps.js'

export interface StackResult {
  plan: Plan
  /** One line per step that ran, in order. */
  done: string[]
  changed: boolean
  failure: Error | undefined
  durationMs: number
}

/** What one converger reports back: its plan as the engine's steps, and what it did. */
interface Outcome {
  steps: Step[]
  notes: string[]
  notices: string[]
  done: string[]
  changed: boolean
  failure: Error | undefined
}

/** The deploy sources, checked on the runner before connecting (checkDeploySource), by app. */
export type DeploySources = ReadonlyMap<string, DeploySourceCheck>

export async function convergeStack(host: DokkuHost, resources: StackResources, sources: DeploySources, mode: ConvergeMode, logger: Logger): Promise<StackResult> {
  const started = Date.now()
  const { dokku } = host
  const result: StackResult = { plan: emptyPlan(), done: [], changed: false, failure: undefined, durationMs: 0 }
  const seen = new Set<string>()
  const add = (outcome: Outcome) => {
    for (const step of outcome.steps) {
      // Creating an app is planned by each converger that needs it: listed once.
      const key = JSON.stringify([step.resource, step.current, step.wanted, step.action])
      if (seen.has(key)) continue
      seen.add(key)
      result.plan.steps.push(step)
    }
    result.plan.notes.push(...outcome.notes)
    result.plan.notices.push(...outcome.notices)
    result.done.push(...outcome.done)
    result.changed ||= outcome.changed
  }

  dokku.rememberReads()
  const proxies = [...resources.apps.flatMap((app) => (app.proxy ? [app.proxy] : [])), ...(resources.proxyOnly ? [resources.proxyOnly] : [])]
  const [inventory] = await Promise.all([observeInventory(dokku), observeAhead(host, resources, sources, proxies)])
  result.plan.unmanaged.push(
    ...findUnmanaged(inventory, {
      apps: resources.ownedApps,
      services: {
        postgres: new Set(resources.services.filter((s) => s.engine === 'postgres').map((s) => s.service)),
        redis: new Set(resources.services.filter((s) => s.engine === 'redis').map((s) => s.service))
      }
    })
  )

  // The proxy stage comes last, but what it would refuse for want of the file's own setting must
  // stop the run before the first change, not after every other stage has applied.
  if (proxies.length > 0 && proxies.every((proxy) => proxy.letsencryptEmail === undefined)) {
    const settings = await readCaddySettings(dokku, inventory.apps[0])
    if (settings.letsencryptEmail === '')
      throw new ConfigurationError(
        "the stack routes domains through Caddy, but the host has no Let's Encrypt email and the stack file sets none (without one, Dokku's Caddy " +
          'serves plain HTTP on port 80 only and never publishes port 443, even with tls: internal). Add `proxy: { letsencrypt-email: ops@example.org }` to the stack file.',
        Inputs.stackFile
      )
  }

  /** Apps whose settings changed and that still owe a restart (unless a deploy restarts them). */
  const owedRestarts = new Map<string, AppStep>()
  // Within a stage, what does not depend on the rest runs at once: services, apps, deploys and
  // restarts each touch their own. Links run in rounds in which no two share a service (they would
  // both write its LINKS file) or an app (its config), in the file's order where they do; the
  // first proxy goes alone, since it is the one that sets the host-wide Caddy settings, then the
  // other apps' routing at once, every app's routing observed up front.
  const stages: [string, () => Promise<Outcome[]>][] = [
    ['services', () => together(resources.services, provisionService)],
    ['apps', () => convergeApps()],
    ['object store', async () => (resources.objectStore ? [await convergeStore()] : [])],
    ['links', () => inRounds(resources.apps.flatMap((app) => app.links), (link) => [`service ${link.engine} ${link.service}`, `app ${link.app}`], provisionService)],
    ['routing before first deploys', () => routeBeforeFirstDeploy()],
    ['deploys', () => together(resources.apps.filter((app) => app.deploy !== undefined), (app) => deployApp(app.name))],
    ['restarts', () => restartOwed()],
    ['proxy', () => observedFirst(proxies, (proxy) => observeCaddy(dokku, proxy), route)]
  ]

  async function provisionService(config: ServiceConfig): Promise<Outcome> {
    const service = await convergeService(host, config, logger)
    return { ...fromAction(service, serviceSteps(config, service.plan)), notes: service.notes, notices: service.notices }
  }

  async function route(config: CaddyConfig): Promise<Outcome> {
    // What the host refuses is fixed in the stack file (the proxy's email, the app's domains).
    const routed = await convergeCaddy(dokku, config, logger, { inputs: { 'letsencrypt-email': Inputs.stackFile, app: Inputs.stackFile, caddy: Inputs.stackFile } })
    return { ...fromAction(routed, caddySteps(routed.plan)), notes: routed.plan.notes, notices: routed.notices }
  }

  /**
   * Caddy reads an app's routing from labels Dokku puts on its containers when it deploys them: an
   * app routed before its first deploy starts with them, where routed after it would be deployed
   * and then rebuilt for the proxy. Probed through the proxy later, in the proxy stage, once it runs.
   */
  async function routeBeforeFirstDeploy(): Promise<Outcome[]> {
    if (mode !== 'apply') return []
    const deployedBy = new Set(resources.apps.filter((app) => app.deploy !== undefined).map((app) => app.name))
    // Each app's routing observed meanwhile (its ps:report is among those reads): the first proxy
    // and the rest then find their reads answered.
    const [undeployed] = await Promise.all([
      Promise.all(proxies.map(async (proxy) => proxy.app !== undefined && deployedBy.has(proxy.app.app) && !(await dokku.ps.report(proxy.app.app)).deployed)),
      Promise.allSettled(proxies.map((proxy) => observeCaddy(dokku, proxy)))
    ])
    return firstThenTogether(
      proxies.filter((_, i) => undeployed[i]).map((proxy) => ({ ...proxy, verify: false })),
      route
    )
  }

  /**
   * Items that share no key at once, in rounds: an item sharing a key with an earlier one waits
   * for a later round than it, so those keep the file's order. A failure ends the stage with its round.
   */
  async function inRounds<T>(items: readonly T[], keysOf: (item: T) => string[], fn: (item: T) => Promise<Outcome>): Promise<Outcome[]> {
    const outcomes = new Map<T, Outcome>()
    let pending = [...items]
    while (pending.length > 0) {
      const taken = new Set<string>()
      const round: T[] = []
      const later: T[] = []
      for (const item of pending) {
        const keys = keysOf(item)
        if (keys.some((key) => taken.has(key))) later.push(item)
        else round.push(item)
        // A waiting item holds its keys too, so no later item that shares one passes it.
        for (const key of keys) taken.add(key)
      }
      const done = await together(round, fn)
      round.forEach((item, i) => outcomes.set(item, done[i] as Outcome))
      if (done.some((outcome) => outcome.failure)) break
      pending = later
    }
    return items.flatMap((item) => (outcomes.has(item) ? [outcomes.get(item) as Outcome] : []))
  }

  /** Every item observed at once (remembered reads), then the first alone and the rest together. */
  async function observedFirst<T>(items: readonly T[], observe: (item: T) => Promise<unknown>, fn: (item: T) => Promise<Outcome>): Promise<Outcome[]> {
    await Promise.allSettled(items.map(observe))
    return firstThenTogether(items, fn)
  }

  /**
   * Each item's converger at once; the outcomes in the items' order. A failure stops none of the
   * others, which are already under way: the stage ends when all have, and the first error thrown
   * (a refusal, a lost connection) is the stage's.
   */
  async function together<T>(items: readonly T[], fn: (item: T) => Promise<Outcome>): Promise<Outcome[]> {
    const settled = await Promise.allSettled(items.map(fn))
    const thrown = settled.find((s) => s.status === 'rejected')
    if (thrown) throw thrown.reason
    return settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value)
  }

  async function firstThenTogether<T>(items: readonly T[], fn: (item: T) => Promise<Outcome>): Promise<Outcome[]> {
    const [first, ...rest] = items
    if (first === undefined) return []
    const outcome = await fn(first)
    return outcome.failure ? [outcome] : [outcome, ...(await together(rest, fn))]
  }

  async function convergeApps(): Promise<Outcome[]> {
    const observed = await Promise.all(resources.apps.map((app) => observeApp(dokku, app.name, Object.keys(app.request.secrets))))
    return together(resources.apps, async (app) => {
      const plan = planApp(app.request, observed[resources.apps.indexOf(app)]!)
      await printPlan(plan, `Plan for app ${app.name}${mode === 'apply' ? '' : ' (nothing will change)'}`, logger)
      const outcome: Outcome = { steps: plan.steps, notes: plan.notes, notices: plan.notices, done: [], changed: false, failure: undefined }
      if (mode !== 'apply') return outcome
      const restart = plan.steps.find((s) => s.detail.kind === 'restart-app')
      if (restart) owedRestarts.set(app.name, restart)
      const applied = await applySteps(plan.steps.filter((s) => s !== restart), (s) => applyAppStep(dokku, app.request, s, logger), logger)
      return { ...outcome, done: applied.done.map(stepLine), changed: applied.changed, failure: applied.failure }
    })
  }

  async function convergeStore(): Promise<Outcome> {
    const config = resources.objectStore!
    const store = await convergeSeaweed(host, config, logger)
    return { ...fromAction(store, store.plan ? seaweedSteps(config, store.plan) : []), notes: store.notes, notices: store.notices }
  }

  async function deployApp(name: string): Promise<Outcome> {
    const app = resources.apps.find((a) => a.name === name)!
    const config = app.deploy!
    const deployed = await convergeDeploy(host, config, sources.get(name) ?? { git: undefined, targetSha: undefined }, logger)
    // A deploy or restart starts the app with every setting it holds by then.
    if (deployed.done.some((s) => s.kind === 'push' || s.kind === 'deploy-image' || s.kind === 'restart')) owedRestarts.delete(name)
    return {
      steps: deploySteps(name, deployed.plan),
      notes: [],
      notices: deployed.rolledBack ? [`${name} was rolled back to ${deployed.running ? JSON.stringify(deployed.running) : 'its previous release'}.`] : [],
      done: deployed.done.map((s) => `app ${name}: ${deployStepTitle(s)}`),
      changed: deployed.changed,
      failure: deployed.failure
    }
  }

  async function restartOwed(): Promise<Outcome[]> {
    return together([...owedRestarts], async ([name, step]) => {
      const app = resources.apps.find((a) => a.name === name)!
      const applied = await applySteps([step], (s) => applyAppStep(dokku, app.request, s, logger), logger)
      // Already listed in the plan by the apps stage.
      return { steps: [], notes: [], notices: [], done: applied.done.map(stepLine), changed: applied.changed, failure: applied.failure }
    })
  }

  for (const [name, stage] of stages) {
    let outcomes: Outcome[]
    try {
      outcomes = await stage()
    } catch (error) {
      if (mode !== 'apply' && result.plan.steps.length > 0 && isRefusal(error)) {
        result.plan.notes.push(`${name}: planned once the steps above are applied; on the host as it is now: ${errorMessage(error)}`)
        continue
      }
      result.failure = error instanceof Error ? error : new Error(String(error))
      break
    }
    for (const outcome of outcomes) add(outcome)
    const failed = outcomes.find((o) => o.failure)
    if (failed) {
      result.failure = failed.failure
      break
    }
  }
  await printPlan(result.plan, `The stack's plan: ${result.plan.steps.length} step(s)${mode === 'apply' ? '' : ', nothing changed'}`, logger)
  if (result.failure && mode === 'apply') logger.warning(`The stack stopped after ${result.done.length} change(s); the next run observes what is there and finishes the job.`)
  if (!result.failure && mode === 'check' && result.plan.steps.length > 0) result.failure = new DriftError(result.plan.steps.map(stepLine))
  result.durationMs = Date.now() - started
  return result
}

/**
 * Every converger's observation at once, for the client to remember (see the top of this file).
 * What is observed here is thrown away: each converger observes again and gets the remembered
 * answers. A read that fails here fails again, in its converger's context, where it is reported.
 */
async function observeAhead(host: DokkuHost, resources: StackResources, sources: DeploySources, proxies: readonly CaddyConfig[]): Promise<void> {
  const { dokku } = host
  await Promise.allSettled([
    ...resources.services.map((config) => observeService(host, config)),
    ...resources.apps.map((app) => observeApp(dokku, app.name, Object.keys(app.request.secrets))),
    ...resources.apps.flatMap((app) => app.links.map((config) => observeService(host, config))),
    ...resources.apps.flatMap((app) => (app.deploy ? [observeDeploy(dokku, app.deploy, sources.get(app.name)?.targetSha)] : [])),
    ...proxies.map((config) => observeCaddy(dokku, config))
  ])
}

/** A planner's refusal (a PlanError turned into the user's error), as opposed to a failed command or connection. */
function isRefusal(error: unknown): boolean {
  return error instanceof ConfigurationError || (error instanceof Error && error.constructor === Error)
}

function fromAction(result: { changed: boolean; done: readonly unknown[]; failure: Error | undefined }, steps: Step[]): Outcome {
  return { steps, notes: [], notices: [], done: result.done.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))), changed: result.changed, failure: result.failure }
}
