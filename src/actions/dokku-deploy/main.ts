import * as core from '@actions/core'
import { DokkuClient } from '../../core/dokku/client.js'
import { errorMessage } from '../../core/errors.js'
import { releaseDeployMutex } from '../../core/git/deploy-mutex.js'
import { readCommonInputs } from '../../core/inputs/common.js'
import { InputReader } from '../../core/inputs/readers.js'
import { readRunContext, type RunContext } from '../../core/github/context.js'
import type { ActionRun } from '../../core/converge/entry.js'
import { GitHubDeployments } from '../../core/github/deployments.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { connectSsh } from '../../core/ssh/connection.js'
import { deploy, State, type DeployResult } from './deploy.js'
import { Outputs, readDeployInputs, type DeployConfig } from './inputs.js'
import { describe, type DeployPlan } from './plan.js'
import { writeDeploySummary } from './summary.js'

export const run: ActionRun = async (inputs = new InputReader(), context = readRunContext(), logger = actionsLogger) => {
  if (core.getState(State.isPost) === 'true') return releaseLockAfterCancel(inputs, logger)
  core.saveState(State.isPost, 'true')

  const config = readDeployInputs(inputs, context)
  warnAboutMissingHealthcheck(config, logger)
  const recorder = config.githubToken && context.repository ? new DeploymentRecorder(new GitHubDeployments(config.githubToken, context), config, context, logger) : undefined
  const started = Date.now()
  const result = await deploy(config, logger, { beforeApply: (plan) => recorder?.start(plan) ?? Promise.resolve() })
  await recorder?.finish(result)
  setOutputs(result)
  await writeDeploySummary(config, result, Date.now() - started)
  if (result.failure) throw result.failure
}

/**
 * An empty healthcheck-url is what `${{ vars.URO_HEALTH_URL }}` becomes when the variable is
 * unset, and it silently removes the check that decides a rollback. Said before connecting, as a
 * warning (an annotation on the run) rather than an error, so that a deploy without a check is
 * still possible; `healthcheck-url: none` says it is on purpose and silences this.
 */
function warnAboutMissingHealthcheck(config: DeployConfig, logger: Logger): void {
  if (config.healthcheckOff !== 'empty' || config.reviewApp === 'destroy') return
  const consequence = config.rollback
    ? 'a release that builds but does not answer stays up: rollback then covers only failed builds and pushes'
    : 'a release that builds but does not answer stays up'
  logger.warning(
    `healthcheck-url is empty, so ${config.app} is deployed without a health check: ${consequence}. ` +
      'If healthcheck-url is set from a variable (e.g. ${{ vars.URO_HEALTH_URL }}), that variable is unset. ' +
      'Set it, or write healthcheck-url: none to deploy without a check on purpose.'
  )
}

function setOutputs(result: DeployResult): void {
  core.setOutput(Outputs.app, result.app)
  core.setOutput(Outputs.changed, String(result.changed))
  core.setOutput(Outputs.rolledBack, String(result.rolledBack))
  if (result.url) core.setOutput(Outputs.url, result.url)
  if (result.running?.kind === 'git') core.setOutput(Outputs.deployedSha, result.running.sha)
  if (result.running?.kind === 'image') core.setOutput(Outputs.deployedImage, result.running.image)
  const previous = result.plan.previous
  if (previous?.kind === 'git') core.setOutput(Outputs.previousSha, previous.sha)
  if (previous?.kind === 'image') core.setOutput(Outputs.previousImage, previous.image)
}

/**
 * The GitHub side of a deploy: a Deployment (in_progress while the host changes, then success or
 * failure with the environment URL) and, for review apps, a sticky PR comment. GitHub being
 * unreachable never fails a deploy that worked: it is logged as a warning.
 */
class DeploymentRecorder {
  private readonly github: GitHubDeployments
  private readonly config: DeployConfig
  private readonly context: RunContext
  private readonly logger: Logger
  private id: number | undefined

  constructor(github: GitHubDeployments, config: DeployConfig, context: RunContext, logger: Logger) {
    this.github = github
    this.config = config
    this.context = context
    this.logger = logger
  }

  async start(plan: DeployPlan): Promise<void> {
    const target = plan.target
    const sha = target?.kind === 'git' ? target.sha : (this.context.pullRequest?.headSha ?? this.context.sha)
    if (!target || !sha) return
    await this.attempt(async () => {
      this.id = await this.github.start({
        sha,
        environment: this.config.environment,
        transient: this.config.reviewApp === 'create',
        description: `${this.config.app}: ${describe(target)}`,
        payload: { app: this.config.app, previous: plan.previous ?? null }
      })
    })
  }

  async finish(result: DeployResult): Promise<void> {
    const { config, context } = this
    const comment = (body: string) => (context.pullRequest ? this.github.stickyComment(context.pullRequest.number, `review-app:${config.app}`, body) : Promise.resolve())
    if (config.reviewApp === 'destroy') {
      await this.attempt(async () => {
        if (result.changed) await this.github.deactivate(config.environment)
        await comment(`Review app \`${config.app}\` was destroyed.`)
      })
      return
    }
    const target = result.plan.target
    if (this.id === undefined || !target) return
    const id = this.id
    await this.attempt(async () => {
      if (result.failure) {
        const back = result.rolledBack && result.running ? `; rolled back to ${describe(result.running)}` : ''
        await this.github.status(id, 'failure', { description: `failed${back}` })
        if (config.reviewApp === 'create') await comment(`Review app \`${config.app}\` failed to deploy ${describe(target)}${back}.`)
      } else {
        await this.github.status(id, 'success', { description: `deployed ${describe(target)}`, ...(result.url ? { environmentUrl: result.url } : {}) })
        if (config.reviewApp === 'create') await comment(`Review app \`${config.app}\` is up at ${result.url ?? '(no URL: the app has no domain)'} with ${describe(target)}.`)
      }
    })
  }

  private async attempt(fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (error) {
      this.logger.warning(`Could not update the GitHub deployment: ${errorMessage(error)}`)
    }
  }
}

/**
 * The post step (post-if: cancelled()): a cancelled run may leave the lock it took, or Dokku's own
 * build lock, behind; release both so the next deploy is not blocked.
 */
async function releaseLockAfterCancel(inputs: InputReader, logger: Logger): Promise<void> {
  const app = core.getState(State.lockedApp)
  if (!app) return
  const common = readCommonInputs(inputs)
  const executor = await connectSsh(common.ssh, { logger })
  try {
    const dokku = await DokkuClient.create(executor, logger)
    // The cancelled run's build may still be running on the host: stop it first, or unlocking
    // under it would let the next deploy run beside it (docs/dokku-contract.md#deploy-lock).
    if (dokku.features.builds && (await dokku.builds.cancel(app)).changed) logger.info(`Cancelled the build the cancelled run had started on ${app}.`)
    if (await dokku.apps.locked(app)) {
      await dokku.apps.unlock(app)
      logger.info(`Released the deploy lock on ${app} left by the cancelled run.`)
    }
    // The cancelled run's mutex ref, unless another run has taken it since (it would expire anyway).
    const lockSha = core.getState(State.lockSha)
    if (lockSha && (await dokku.apps.exists(app)) && (await releaseDeployMutex({ ...common.ssh, verifiedHostKey: executor.hostKey.publicKey }, app, lockSha)))
      logger.info(`Released the deploy mutex on ${app} left by the cancelled run.`)
  } finally {
    await executor.close()
  }
}
