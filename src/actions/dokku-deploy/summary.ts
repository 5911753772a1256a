import { convergeMode } from '../../core/converge/apply.js'
import { headedTable, outcomeWord, writeActionSummary } from '../../core/converge/entry.js'
import { formatDuration } from '../../core/format.js'
import { describeHealth, type DeployResult } from './deploy.js'
import type { DeployConfig } from './inputs.js'
import { describe, type Deployed, type DeployStep } from './plan.js'

/**
 * One step, said as what it changes on the host: in the past tense once it ran, as "would …" in a
 * dry run. Not the step's kind or the planner's reason: a reader of the summary wants to know
 * what the host looks like now, not how the action decided.
 */
export function describeChange(step: DeployStep, context: { app: string; previous: Deployed | undefined }, mode: 'done' | 'would'): string {
  const [done, would] = phrases(step, context)
  return mode === 'done' ? done : `would ${would}`
}

function phrases(step: DeployStep, { app, previous }: { app: string; previous: Deployed | undefined }): [string, string] {
  const replacing = previous ? `, replacing ${describe(previous)}` : `, ${app}'s first deploy`
  switch (step.kind) {
    case 'create-app':
      return [`created the app ${app}`, `create the app ${app}`]
    case 'clone-review-app':
      return [`created the review app ${app} as a clone of ${step.from}, without ${step.from}'s services and secrets`, `create the review app ${app} as a clone of ${step.from}, without ${step.from}'s services and secrets`]
    case 'set-deploy-branch':
      return [`set ${app}'s deploy branch to ${step.branch}`, `set ${app}'s deploy branch to ${step.branch}`]
    case 'set-config': {
      const keys = `${step.keys.join(', ')} (values not shown)`
      return [`set ${keys}`, `set ${keys}`]
    }
    case 'push':
      return [`deployed commit ${step.sha.slice(0, 12)}${replacing}`, `deploy commit ${step.sha.slice(0, 12)}${replacing}`]
    case 'deploy-image':
      return [`deployed image ${step.image}${replacing}`, `deploy image ${step.image}${replacing}`]
    case 'restart':
      return [`restarted ${app} to apply the new config`, `restart ${app} to apply the new config`]
    case 'healthcheck':
      return [`checked that ${step.url} answers ${step.expectedStatus}: it did`, `check that ${step.url} answers ${step.expectedStatus}`]
    case 'destroy-review-app':
      return [`destroyed the review app ${app}`, `destroy the review app ${app}`]
  }
}

/**
 * The job summary. The URL column is always the app's URL as Dokku serves it (its first domain),
 * the same as the `url` output; the health-check address is on the health line.
 */
export async function writeDeploySummary(config: DeployConfig, result: DeployResult, durationMs: number): Promise<void> {
  const target = result.plan.target ? describe(result.plan.target) : '—'
  const mode = convergeMode({ check: false, dryRun: config.dryRun })
  const outcome = outcomeWord(
    { mode, planned: result.plan.steps.length, changed: result.changed, failed: result.failure !== undefined },
    { failed: result.rolledBack ? 'failed, rolled back' : 'failed', changed: config.reviewApp === 'destroy' ? 'destroyed' : 'deployed' }
  )
  const context = { app: config.app, previous: result.plan.previous }
  const done = result.done.map((step) => describeChange(step, context, 'done'))
  if (result.rolledBack && result.running) {
    const restoredConfig = result.done.some((step) => step.kind === 'set-config') ? ', with the config it had' : ''
    done.push(`rolled back to ${describe(result.running)}${restoredConfig}`)
  }
  const running = `the host already runs ${result.plan.previous ? describe(result.plan.previous) : 'the target'} with this config`
  await writeActionSummary({
    heading: `dokku-deploy: ${config.app}`,
    mode,
    tables: [{ rows: headedTable(['app', 'target', 'outcome', 'URL', 'duration'], [[config.app, target, outcome, result.url ?? '—', formatDuration(durationMs)]]) }],
    lines: [
      `previous: ${result.plan.previous ? describe(result.plan.previous) : 'nothing deployed'}`,
      `now running: ${result.running ? describe(result.running) : 'nothing'}`,
      `health check: ${healthLine(config, result)}`,
      ...(result.rolledBack ? [`rollback: back to ${result.running ? describe(result.running) : '?'}${result.rollbackHealth ? `, ${result.rollbackHealth.healthy ? 'healthy' : 'still unhealthy'}` : ''}`] : [])
    ],
    failure: result.failure,
    changes: {
      planned: result.plan.steps.map((step) => describeChange(step, context, 'would')),
      done,
      nothing: { planned: `nothing would change: ${running}`, done: `nothing: ${running}` }
    }
  })
}

function healthLine(config: DeployConfig, result: DeployResult): string {
  if (config.reviewApp === 'destroy') return 'not applicable'
  if (!config.healthcheck) return config.healthcheckOff === 'none' ? 'none (healthcheck-url: none)' : 'none: healthcheck-url is empty'
  const url = config.healthcheck.url.toString()
  if (result.health) return `${url}: ${result.health.healthy ? 'healthy' : 'unhealthy'} (${describeHealth(result.health)})`
  return `${url}: not run${config.dryRun ? ' (dry run)' : result.plan.changed ? '' : ' (nothing changed)'}`
}
