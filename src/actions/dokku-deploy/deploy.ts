import * as core from '@actions/core'
import { planOrExplain } from '../../core/converge/plan.js'
import { withDokkuHost, type DokkuHost } from '../../core/converge/host.js'
import type { DokkuClient } from '../../core/dokku/client.js'
import { DeployLockedError } from '../../core/dokku/errors.js'
import { configuredDeployBranch } from '../../core/dokku/forms.js'
import { storedConfigValue, unstorableConfigMessage } from '../../core/dokku/parse/config.js'
import { ConfigurationError, errorMessage } from '../../core/errors.js'
import { formatDuration } from '../../core/format.js'
import { LocalGit } from '../../core/git/local-git.js'
import { DeployMutex } from '../../core/git/deploy-mutex.js'
import { pushToDokku, type PushCredentials } from '../../core/git/push.js'
import { waitForHealthy, type HealthCheckResult } from '../../core/http/healthcheck.js'
import type { Logger } from '../../core/log.js'
import type { SshExecutor } from '../../core/ssh/connection.js'
import { sleep } from '../../core/sleep.js'
import type { DeployConfig } from './inputs.js'
import { isolateReviewApp } from './review-app.js'
import { describe, planDeploy, renderPlan, type Deployed, type DeployObservation, type DeployPlan, type DeployStep } from './plan.js'

/** Names of the values the main step hands to the post step (which runs only when the job is cancelled). */
export const State = {
  isPost: 'isPost',
  lockedApp: 'lockedApp',
  /** The commit of the deploy mutex ref this run holds (DeployMutex), for the post step to release. */
  lockSha: 'lockSha'
} as const

export interface DeployResult {
  app: string
  plan: DeployPlan
  dryRun: boolean
  changed: boolean
  /** What the host runs at the end (the previous release after a rollback). */
  running: Deployed | undefined
  url: string | undefined
  health: HealthCheckResult | undefined
  rolledBack: boolean
  rollbackHealth: HealthCheckResult | undefined
  /** The steps that ran to completion, in order (the summary says them in words). */
  done: DeployStep[]
  durationMs: number
  failure: Error | undefined
}

const LOCK_POLL_MS = 3000

export class DeployFailedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DeployFailedError'
  }
}

export interface DeployHooks {
  /** Called once the plan is known and before anything changes (not in dry-run, not when nothing changes). */
  beforeApply?: (plan: DeployPlan) => Promise<void>
}

/** The checkout a git deploy pushes from, and the commit it deploys; undefined for an image. */
export interface DeploySourceCheck {
  git: LocalGit | undefined
  targetSha: string | undefined
}

/** dokku-deploy over its own connection, once the checkout has been checked on the runner. */
export async function deploy(config: DeployConfig, logger: Logger, hooks: DeployHooks = {}): Promise<DeployResult> {
  const started = Date.now()
  const source = await checkDeploySource(config, logger)
  const result = await withDokkuHost(config.ssh, logger, (host) => convergeDeploy(host, config, source, logger, hooks))
  result.durationMs = Date.now() - started
  return result
}

/** Everything about the source that can be checked on the runner, checked before the first connection. */
export async function checkDeploySource(config: DeployConfig, logger: Logger): Promise<DeploySourceCheck> {
  const git = config.source.kind === 'git' && config.reviewApp !== 'destroy' ? new LocalGit(config.source.workdir) : undefined
  const targetSha = git && config.source.kind === 'git' ? await prepareCheckout(git, config.source.ref, logger) : undefined
  return { git, targetSha }
}

/** Observes the app, plans, prints the plan and, unless this is a dry run, deploys, over the given connection. */
export async function convergeDeploy(host: DokkuHost, config: DeployConfig, source: DeploySourceCheck, logger: Logger, hooks: DeployHooks = {}): Promise<DeployResult> {
  const started = Date.now()
  const { dokku, executor } = host
  const { git, targetSha } = source
  // Values the host's Dokku cannot store are refused before anything changes (issue 13, M2).
  const unstorable = unstorableConfigMessage(Object.fromEntries(config.config), dokku.features.envFile)
  if (unstorable !== undefined) throw new ConfigurationError(`Input "config": ${unstorable}`, 'config')
  let observed = await observeDeploy(dokku, config, targetSha)
  let plan = makePlan(config, observed)
  await logger.group(`Plan for ${config.app}${config.dryRun ? ' (dry run: nothing will change)' : ''}`, async () => {
    for (const line of renderPlan(config.app, plan)) logger.info(line)
  })
  const result: DeployResult = {
    app: config.app,
    plan,
    dryRun: config.dryRun,
    changed: false,
    running: plan.previous,
    url: undefined,
    health: undefined,
    rolledBack: false,
    rollbackHealth: undefined,
    done: [],
    durationMs: 0,
    failure: undefined
  }
  if (!config.dryRun && plan.steps.length > 0) {
    const credentials = { ...config.ssh, verifiedHostKey: executor.hostKey.publicKey }
    const mutex = new DeployMutex(credentials, config.app, { leaseMs: config.lockTimeoutMs, onChange: (sha) => core.saveState(State.lockSha, sha ?? '') })
    const run: DeployRun = { dokku, executor, config, plan, observed, logger, git, result, previousConfig: new Map(), lockHeld: false, mutex }
    await hooks.beforeApply?.(plan)
    try {
      // Creating (or cloning) the app needs no lock; everything after it runs under ours.
      for (const step of plan.steps.filter(isCreation)) await runStep(run, step)
      const waited = await acquireLock(run)
      if (waited || plan.steps.some(isCreation)) {
        // The plan must describe the host as it is once we hold the lock: another deploy may have run meanwhile.
        observed = await observeDeploy(dokku, config, targetSha)
        const fresh = makePlan(config, observed)
        if (JSON.stringify(fresh.steps) !== JSON.stringify(plan.steps.filter((step) => !isCreation(step))))
          await logger.group(`The host changed while waiting; new plan for ${config.app}`, async () => {
            for (const line of renderPlan(config.app, fresh)) logger.info(line)
          })
        plan = fresh
        Object.assign(run, { plan, observed })
        Object.assign(result, { plan, running: plan.previous })
      }
      await apply(run, plan.steps.filter((step) => !isCreation(step)))
    } catch (error) {
      result.failure = error instanceof Error ? error : new Error(String(error))
    } finally {
      if (run.lockHeld) await releaseLock(run)
    }
  }
  if (config.reviewApp !== 'destroy' && (!config.dryRun || observed.appExists)) result.url = await appUrl(dokku, config)
  result.durationMs = Date.now() - started
  return result
}

function makePlan(config: DeployConfig, observed: DeployObservation): DeployPlan {
  return planOrExplain(() => planDeploy(config, observed))
}

function isCreation(step: DeployStep): boolean {
  return step.kind === 'create-app' || step.kind === 'clone-review-app'
}

async function prepareCheckout(git: LocalGit, ref: string, logger: Logger): Promise<string> {
  if (!(await git.isRepository()))
    throw new ConfigurationError(`${git.workdir} is not a git checkout. Add actions/checkout before this step (with fetch-depth: 0), or set path to the checkout.`, 'path')
  if (await git.isShallow()) {
    logger.info('The checkout is shallow; fetching its full history so the host receives every commit it needs.')
    const deepened = await git.unshallow('origin')
    if (deepened.code !== 0 || (await git.isShallow()))
      throw new ConfigurationError(
        `The checkout is shallow and could not be deepened (git fetch --unshallow origin: ${deepened.stderr.trim() || `exit ${deepened.code}`}). ` +
          'Dokku refuses pushes from shallow clones, so the deploy stopped before anything was sent. Set fetch-depth: 0 on actions/checkout.',
        'ref'
      )
  }
  const sha = await git.resolveCommit(ref)
  if (!sha) throw new ConfigurationError(`Input "ref" names no commit in the checkout; got ${JSON.stringify(ref)}. Use a commit SHA, branch or tag that actions/checkout fetched.`, 'ref')
  return sha
}

/** What the deploy plan is made from: whether the app exists, what it runs, its deploy branch and config. */
export async function observeDeploy(dokku: DokkuClient, config: DeployConfig, targetSha: string | undefined): Promise<DeployObservation> {
  const appExists = await dokku.apps.exists(config.app)
  const baseAppExists = config.reviewApp === 'create' && !appExists ? await dokku.apps.exists(config.baseApp) : true
  // A review app that does not exist yet will be a clone: it inherits the base app's deploy branch and config (docs/dokku-contract.md#apps-clone).
  const source = appExists ? config.app : config.reviewApp === 'create' && baseAppExists ? config.baseApp : undefined
  if (!source || config.reviewApp === 'destroy')
    return { appExists, baseAppExists, deploySource: undefined, deploySourceMetadata: undefined, deployBranch: undefined, config: {}, envFile: dokku.features.envFile, targetSha }
  const [report, gitReport, env, ps] = await Promise.all([
    dokku.apps.report(source),
    dokku.git.report(source),
    dokku.config.export(source),
    appExists && config.reviewApp === 'create' ? dokku.ps.report(source) : undefined
  ])
  // A review app inherits its base app's deploy source when cloned (dokku v0.38.27 plugins/apps/triggers.go
  // TriggerPostAppCloneSetup: PropertyClone("apps") copies deploy-source and deploy-source-metadata; the
  // cached `deployed` flag is copied too, plugins/common/triggers.go), so it says what runs only once the
  // review app runs something (ps:report running, from its own containers).
  const inheritedOnly = ps !== undefined && ps.running !== 'true'
  const recorded = appExists && !inheritedOnly
  return {
    appExists,
    baseAppExists,
    deploySource: recorded ? report.deploySource || undefined : undefined,
    deploySourceMetadata: recorded ? report.deploySourceMetadata || undefined : undefined,
    deployBranch: configuredDeployBranch(gitReport, dokku.features),
    config: env,
    envFile: dokku.features.envFile,
    targetSha
  }
}

/** The state of one apply: what changed so far, so that a failure can put it back. */
interface DeployRun {
  dokku: DokkuClient
  executor: SshExecutor
  config: DeployConfig
  plan: DeployPlan
  observed: DeployObservation
  logger: Logger
  git: LocalGit | undefined
  result: DeployResult
  /** Config values before this run changed them (undefined: the key did not exist). */
  previousConfig: Map<string, string | undefined>
  lockHeld: boolean
  /** The lock two runs cannot both hold (a ref in the app's repository, see DeployMutex). */
  mutex: DeployMutex
  /**
   * This run deployed by rebuilding (`ps:rebuild`), for which Dokku records no deploy source: from
   * then on apps:report names what ran before, not what runs.
   */
  reportStale?: boolean
  /** This run's apps:clone created the app just now (not "Name is already taken"). */
  clonedNow?: boolean
}

async function apply(run: DeployRun, steps: readonly DeployStep[]): Promise<void> {
  const { config, result, logger } = run
  try {
    for (const step of steps) await runStep(run, step)
    result.changed = true
  } catch (error) {
    result.changed = result.done.length > 0
    result.failure = error instanceof Error ? error : new Error(String(error))
    logger.warning(`Deploy of ${config.app} failed: ${errorMessage(error)}`)
    if (config.rollback && config.reviewApp !== 'destroy') await rollBack(run)
  }
}

async function runStep(run: DeployRun, step: DeployStep): Promise<void> {
  const { dokku, config, logger, result } = run
  const app = config.app
  const stream = { onOutput: (line: string) => logger.info(line) }
  switch (step.kind) {
    case 'create-app':
      await dokku.apps.create(app)
      break
    case 'clone-review-app':
      await logger.group(`Cloning ${step.from} into ${app}`, async () => {
        // An app that appeared meanwhile is not a fresh clone: its links may be its own, so they stay.
        const cloned = await dokku.apps.clone(step.from, app, { skipDeploy: true, ignoreExisting: true, ...stream })
        run.clonedNow = cloned.changed
        if (cloned.changed) await isolateReviewApp(dokku, app, step.from, new Set(config.config.keys()), logger)
      })
      break
    case 'destroy-review-app':
      // The lock ref goes with the app; a renewal pushed after this would create the app again.
      run.mutex.abandon()
      await dokku.apps.destroy(app)
      break
    case 'set-deploy-branch':
      await dokku.git.set(app, 'deploy-branch', step.branch)
      break
    case 'set-config': {
      for (const key of step.keys) {
        run.previousConfig.set(key, run.observed.config[key])
        const value = config.config.get(key) as string
        const stored = storedConfigValue(value, dokku.features.envFile)
        if (stored !== value) logger.warning(`${key} is purely numeric; Dokku stores it as a number, so the app will see ${stored}.`)
      }
      await dokku.config.set(app, Object.fromEntries(step.keys.map((key) => [key, config.config.get(key) as string])), { restart: false })
      break
    }
    case 'restart':
      await logger.group(`Restarting ${app}`, () => dokku.ps.restart(app, stream))
      result.running = run.plan.target
      break
    case 'push':
      await logger.group(`Deploying commit ${step.sha.slice(0, 12)} to ${app}`, () => pushCommit(run, step.sha, step.branch))
      result.running = run.plan.target
      break
    case 'deploy-image':
      await logger.group(`Deploying image ${step.image} to ${app}`, () => deployImage(run, step.image))
      result.running = run.plan.target
      break
    case 'healthcheck': {
      const health = await checkHealth(run)
      result.health = health
      if (!health.healthy) throw new DeployFailedError(`${step.url} did not answer ${step.expectedStatus} within ${config.healthcheck?.timeoutMs ?? 0} ms (${describeHealth(health)})`)
      break
    }
  }
  result.done.push(step)
}

async function pushCommit(run: DeployRun, sha: string, branch: string, force = true): Promise<void> {
  const { dokku, config, logger } = run
  if (!run.git) throw new Error('a git deploy needs the checkout')
  const credentials: PushCredentials = { ...config.ssh, verifiedHostKey: run.executor.hostKey.publicKey }
  const deadline = Date.now() + config.lockTimeoutMs
  for (;;) {
    const pushed = await pushToDokku(run.git, credentials, { app: config.app, sha, branch, force, onRemoteLine: (line) => logger.info(line) })
    // The push deployed (or tried to) without going through the client: what it remembers may be stale.
    dokku.forgetReads()
    // Dokku's deploy deletes the lock file when it finishes (docs/dokku-contract.md#deploy-lock): take our marker back at once.
    await relock(run)
    switch (pushed.outcome) {
      case 'locked':
        if (Date.now() >= deadline) throw new DeployFailedError(`${config.app} stayed locked by another deploy for longer than lock-timeout`)
        logger.info(`Another deploy of ${config.app} holds Dokku's build lock; waiting to try again.`)
        await sleep(LOCK_POLL_MS)
        continue
      case 'deployed':
      case 'pushed':
      case 'up-to-date': {
        const report = await dokku.apps.report(config.app)
        const recorded = report.deploySource === 'git-push' && report.deploySourceMetadata === sha
        if (pushed.outcome === 'up-to-date') {
          // The deploy branch already points at the commit, yet the plan found it not running: a
          // deploy that collided, or a review app whose clone copied the branch and the deploy
          // source along (apps:clone). Build the branch head. Dokku records no deploy source for
          // rebuilds (dokku v0.38.27 plugins/ps/ps.go Rebuild).
          logger.info(`The host already has ${sha.slice(0, 12)} on ${branch}${recorded ? '' : ` but records ${report.deploySourceMetadata || 'no deploy'}`}, and it does not run; rebuilding it.`)
          await dokku.ps.rebuild(config.app, { onOutput: (line) => logger.info(line) })
          // Unless it already named the commit, apps:report keeps naming the earlier deploy: a rollback must not take it for what runs.
          if (!recorded) run.reportStale = true
          return
        }
        if (recorded) return
        throw new DeployFailedError(
          `git push exited ${pushed.exitCode}, but the host reports ${report.deploySource || 'nothing'} ${report.deploySourceMetadata || ''} as deployed, not ${sha}. Nothing was deployed.`
        )
      }
      case 'not-deploy-branch':
        throw new DeployFailedError(`Dokku accepted the push but did not deploy it: ${branch} is not ${config.app}'s deploy branch (${lastRemoteLine(pushed.lines)}).`)
      case 'shallow-refused':
        throw new DeployFailedError('the host refused the push from a shallow history ("shallow update not allowed"). Set fetch-depth: 0 on actions/checkout.')
      case 'build-failed':
        throw new DeployFailedError(`the build failed on the host and the push was rejected; the previous release keeps running. Last lines:\n${lastLines(pushed.lines)}`)
      case 'rejected':
      case 'failed':
        throw new DeployFailedError(`git push to the host failed (exit ${pushed.exitCode}):\n${lastLines(pushed.lines)}`)
    }
  }
}

async function deployImage(run: DeployRun, image: string): Promise<void> {
  const { dokku, config, logger } = run
  const deadline = Date.now() + config.lockTimeoutMs
  const stream = { onOutput: (line: string) => logger.info(line) }
  for (;;) {
    try {
      // Also correct after a lock collision left the repository naming the image (DokkuClient.deployImage).
      const deployed = await dokku.deployImage(config.app, image, stream)
      await relock(run)
      if (!deployed.recorded) {
        // A rebuild: apps:report keeps naming what ran before, so nothing may be concluded from it.
        run.reportStale = true
        return
      }
      break
    } catch (error) {
      await relock(run)
      if (!(error instanceof DeployLockedError) || Date.now() >= deadline) throw error
      logger.info(`Another deploy of ${config.app} holds Dokku's build lock; waiting to try again.`)
      await sleep(LOCK_POLL_MS)
    }
  }
  const report = await dokku.apps.report(config.app)
  if (report.deploySource !== 'docker-image' || report.deploySourceMetadata !== image)
    throw new DeployFailedError(`git:from-image finished, but the host reports ${report.deploySource || 'nothing'} ${report.deploySourceMetadata} as deployed, not ${image}.`)
}

async function checkHealth(run: DeployRun): Promise<HealthCheckResult> {
  const check = run.config.healthcheck
  if (!check) throw new Error('no health check configured')
  return run.logger.group(`Checking ${check.url}`, () =>
    waitForHealthy({
      url: check.url,
      expectedStatus: check.expectedStatus,
      timeoutMs: check.timeoutMs,
      onAttempt: (a) => run.logger.info(`attempt ${a.attempt}: ${a.status ?? a.error}`)
    })
  )
}

/** Brings back what ran before: the config keys this run changed, then the previous release, checked like the new one. */
async function rollBack(run: DeployRun): Promise<void> {
  const { dokku, config, plan, logger, result } = run
  await logger.group(`Rolling back ${config.app}`, async () => {
    try {
      if (run.previousConfig.size > 0) {
        const restore = [...run.previousConfig].filter(([, v]) => v !== undefined) as [string, string][]
        const remove = [...run.previousConfig].filter(([, v]) => v === undefined).map(([k]) => k)
        if (restore.length > 0) await dokku.config.set(config.app, Object.fromEntries(restore), { restart: false })
        if (remove.length > 0) await dokku.config.unset(config.app, remove, { restart: false })
        logger.info(`Restored the previous values of ${[...run.previousConfig.keys()].join(', ')}.`)
      }
      const report = await dokku.apps.report(config.app)
      const previous = plan.previous
      const runningNow: Deployed | undefined =
        report.deploySource === 'git-push' ? { kind: 'git', sha: report.deploySourceMetadata } : report.deploySource === 'docker-image' ? { kind: 'image', image: report.deploySourceMetadata } : undefined
      if (!previous) {
        logger.warning(`Nothing ran on ${config.app} before this deploy, so there is nothing to roll back to.`)
        result.running = runningNow
        return
      }
      if (runningNow && describe(runningNow) === describe(previous) && !run.reportStale) {
        logger.info(`The host still runs ${describe(previous)}: the failed deploy never replaced it.`)
        result.running = previous
        if (run.previousConfig.size === 0) return
        await dokku.ps.restart(config.app, { onOutput: (line) => logger.info(line) })
      } else if (previous.kind === 'git') {
        if (!run.git) throw new Error(`rolling back to commit ${previous.sha} needs the checkout`)
        if (!(await run.git.hasCommit(previous.sha)) && (await run.git.fetchCommit('origin', previous.sha)).code !== 0)
          throw new Error(`commit ${previous.sha} is not in the checkout and could not be fetched from origin`)
        if (!run.lockHeld) await acquireLock(run)
        await pushCommit(run, previous.sha, config.branch)
      } else {
        if (!run.lockHeld) await acquireLock(run)
        await deployImage(run, previous.image)
      }
      result.running = previous
      result.rolledBack = true
      if (config.healthcheck) {
        result.rollbackHealth = await checkHealth(run)
        if (!result.rollbackHealth.healthy) logger.warning(`After the rollback, ${config.healthcheck.url} is still unhealthy (${describeHealth(result.rollbackHealth)}).`)
      }
      logger.info(`Rolled back ${config.app} to ${describe(previous)}.`)
    } catch (error) {
      logger.warning(`Rollback of ${config.app} failed: ${errorMessage(error)}. Check the app by hand: dokku ps:report ${config.app}`)
    }
  })
}

/**
 * Takes the app's deploy lock: first the mutex only one run can hold (DeployMutex: a compare-and-swap
 * on a ref in the app's repository), waiting up to lock-timeout for another run to release it or for
 * its lease to expire; then, holding it, waits for Dokku's own lock file (a deploy started outside
 * dokku-stack) and writes our marker (apps:lock) so that people and `apps:locked` see the deploy.
 * Returns whether it had to wait.
 */
async function acquireLock(run: DeployRun): Promise<boolean> {
  const { dokku, config, logger } = run
  const deadline = Date.now() + config.lockTimeoutMs
  let waiting = false
  const wait = async (why: string): Promise<void> => {
    if (Date.now() >= deadline)
      throw new DeployFailedError(`${config.app} has been locked by another deploy for longer than lock-timeout (${formatDuration(config.lockTimeoutMs)}): ${why}.`)
    if (!waiting) logger.info(`${config.app} is locked by another deploy; waiting up to ${formatDuration(config.lockTimeoutMs)} for it to finish.`)
    waiting = true
    await sleep(LOCK_POLL_MS)
  }
  // Dokku's pre-receive hook adopts a pushed ref as the deploy branch (and deploys it) when the app
  // has none (dokku v0.38.27 plugins/git/functions cmd-git-hook): the mutex ref must never meet that.
  if (run.observed.deployBranch === undefined) {
    await dokku.git.set(config.app, 'deploy-branch', config.branch)
    run.result.done.push({ kind: 'set-deploy-branch', branch: config.branch, reason: 'the deploy lock needs a deploy branch before it can be taken' })
  }
  for (;;) {
    const attempt = await run.mutex.tryAcquire()
    if (attempt.acquired) {
      if (attempt.tookOver)
        logger.info(
          attempt.tookOver.app !== config.app
            ? `Took over the deploy lock ${config.app} inherited from ${attempt.tookOver.app} through apps:clone.`
            : `Took over the deploy lock of ${attempt.tookOver.holder}, which expired at ${attempt.tookOver.expiresAt} (its run ended without releasing it).`
        )
      break
    }
    const by = attempt.heldBy
    await wait(by ? `held by ${by.holder} since ${by.acquiredAt}, until ${by.expiresAt} unless renewed` : 'another run took it at the same moment')
  }
  run.lockHeld = true
  core.saveState(State.lockedApp, config.app)
  if (run.clonedNow && (await dokku.apps.locked(config.app))) {
    // apps:clone copies the base app's data directory, its .deploy.lock included (dokku v0.38.27
    // plugins/apps/triggers.go TriggerPostAppCloneSetup → plugins/common/data.go CloneAppData), when
    // the base app was deploying or held a marker. This run created the app a moment ago with
    // --skip-deploy and holds its mutex, so no deploy of it can hold that file: it is inherited, and
    // nobody would remove it.
    logger.info(`${config.app} inherited ${config.baseApp}'s deploy lock file through apps:clone; removing it.`)
    await dokku.apps.unlock(config.app)
  }
  run.clonedNow = false
  while (await dokku.apps.locked(config.app)) await wait(`Dokku's lock file is in place (a deploy outside dokku-stack, or a marker left behind: dokku apps:unlock ${config.app} if no deploy runs)`)
  await dokku.apps.lock(config.app)
  return waiting
}

async function relock(run: DeployRun): Promise<void> {
  if (!run.lockHeld) return
  if (run.mutex.lost) throw new DeployFailedError(run.mutex.lost)
  await run.dokku.apps.lock(run.config.app)
}

async function releaseLock(run: DeployRun): Promise<void> {
  try {
    // A destroyed review app takes its lock with it (and a push to it would create it again).
    if (await run.dokku.apps.exists(run.config.app)) {
      await run.dokku.apps.unlock(run.config.app)
      if (run.mutex.held && !(await run.mutex.release())) run.logger.warning(`The deploy lock of ${run.config.app} was no longer ours to release (it had expired and another run took it over).`)
    }
    run.mutex.abandon()
  } catch (error) {
    run.mutex.abandon()
    run.logger.warning(`Could not release the deploy lock on ${run.config.app}: ${errorMessage(error)}. It expires by itself ${formatDuration(run.mutex.leaseMs)} after this run last renewed it.`)
  }
  run.lockHeld = false
  core.saveState(State.lockedApp, '')
}

/**
 * The app's URL as Dokku serves it: its first domain, https when it maps 443. Always this, for
 * every app and review app, so the output, the Deployment and the summary mean one thing; the
 * health-check address is reported apart.
 */
async function appUrl(dokku: DokkuClient, config: DeployConfig): Promise<string | undefined> {
  // At once (one round trip, not three): the reports of an app that does not exist fail, unread.
  const [exists, domainsRead, portsRead] = await Promise.allSettled([dokku.apps.exists(config.app), dokku.domains.report(config.app), dokku.ports.report(config.app)])
  if (exists.status === 'rejected') throw exists.reason
  if (!exists.value) return undefined
  if (domainsRead.status === 'rejected') throw domainsRead.reason
  const domains = domainsRead.value
  const host = domains.appEnabled ? domains.appVhosts[0] : undefined
  if (!host) return undefined
  if (portsRead.status === 'rejected') throw portsRead.reason
  const ports = portsRead.value
  const https = [...ports.map, ...ports.detected].some((map) => map.scheme === 'https')
  return `${https ? 'https' : 'http'}://${host}`
}

export function describeHealth(health: HealthCheckResult): string {
  return `${health.attempts} attempt${health.attempts === 1 ? '' : 's'}, last ${health.lastStatus !== undefined ? `status ${health.lastStatus}` : (health.lastError ?? 'no answer')}`
}

function lastLines(lines: readonly string[], n = 15): string {
  return lines.slice(-n).join('\n')
}

function lastRemoteLine(lines: readonly string[]): string {
  return [...lines].reverse().find((line) => line.includes('deploy did not complete')) ?? lines.at(-1) ?? ''
}
