// Applying a plan: in order, one step at a time, stopping at the first failure. What was done is
// recorded, so the summary says it; nothing is rolled back, because every planner observes before
// it plans, so a next run sees where this one stopped and plans the rest.
import { errorMessage } from '../errors.js'
import type { Logger } from '../log.js'
import type { Plan, Step } from './plan.js'
import { renderPlanLines, stepLine } from './render.js'

/** `apply` changes the host; `dry-run` plans and exits 0; `check` plans and fails when anything would change. */
export type ConvergeMode = 'apply' | 'dry-run' | 'check'

export function convergeMode(options: { check: boolean; dryRun: boolean }): ConvergeMode {
  return options.check ? 'check' : options.dryRun ? 'dry-run' : 'apply'
}

export interface ApplyResult<S extends Step = Step> {
  /** Something on the host changed. */
  changed: boolean
  /** The steps that ran, in order. */
  done: S[]
  /** The step that failed, when one did. */
  failed: S | undefined
  failure: Error | undefined
}

/** The host differs from what was asked, found by a check (which changes nothing). */
export class DriftError extends Error {
  readonly drift: readonly string[]
  constructor(drift: readonly string[]) {
    super(`The host differs from what was asked in ${drift.length} place(s); nothing was changed (check mode):\n${drift.map((d) => `- ${d}`).join('\n')}`)
    this.name = 'DriftError'
    this.drift = drift
  }
}

/** The message after a failed step: what was done and that a next run finishes the job. */
export function stoppedMessage(doneCount: number, error: unknown): string {
  return `Stopped at a failed step after ${doneCount} change(s); the next run observes what is there and finishes the job: ${errorMessage(error)}`
}

/**
 * Runs the steps in order. `runStep` returns false when the step found nothing to do after all
 * (another run got there first), true or nothing when it changed the host. Stops at the first
 * failure and returns it instead of throwing, so the caller can still report what was done.
 */
export async function applySteps<S extends Step>(steps: readonly S[], runStep: (step: S) => Promise<boolean | void>, logger: Logger): Promise<ApplyResult<S>> {
  const result: ApplyResult<S> = { changed: false, done: [], failed: undefined, failure: undefined }
  for (const step of steps) {
    try {
      const changed = await logger.group(stepLine(step), () => runStep(step))
      if (changed !== false) {
        result.changed = true
        result.done.push(step)
      }
    } catch (error) {
      result.failed = step
      result.failure = error instanceof Error ? error : new Error(String(error))
      logger.warning(stoppedMessage(result.done.length, error))
      break
    }
  }
  return result
}

/** Prints a plan under one heading, then its notices as warnings. */
export async function printPlan(plan: Plan, heading: string, logger: Logger, render: (plan: Plan) => string[] = renderPlanLines): Promise<void> {
  await logger.group(heading, async () => {
    for (const line of render(plan)) logger.info(line)
  })
  for (const notice of plan.notices) logger.warning(notice)
}
