import * as core from '@actions/core'
import { errorMessage } from '../../core/errors.js'
import { formatDuration } from '../../core/format.js'
import type { RunContext } from '../../core/github/context.js'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { Outputs, readSeaweedInputs, type SeaweedConfig } from './inputs.js'
import { stepTitle } from './plan.js'
import { provisionSeaweed, type SeaweedResult } from './provision.js'

export async function run(inputs = new InputReader(), _context?: RunContext, logger: Logger = actionsLogger): Promise<void> {
  const config = readSeaweedInputs(inputs)
  const result = await provisionSeaweed(config, logger)
  setOutputs(config, result)
  await writeSummary(config, result)
  if (result.failure) throw result.failure
}

function selfTestOutcome(result: SeaweedResult): 'passed' | 'failed' | 'skipped' {
  if (!result.selfTest) return 'skipped'
  return result.selfTest.failed.length > 0 ? 'failed' : 'passed'
}

function setOutputs(config: SeaweedConfig, result: SeaweedResult): void {
  core.setOutput(Outputs.app, config.app)
  core.setOutput(Outputs.endpoint, config.endpoint)
  core.setOutput(Outputs.internalEndpoint, result.plan?.internalEndpoint ?? '')
  core.setOutput(Outputs.identities, result.identities.join(','))
  core.setOutput(Outputs.changed, String(result.changed))
  core.setOutput(Outputs.selfTest, selfTestOutcome(result))
}

async function writeSummary(config: SeaweedConfig, result: SeaweedResult): Promise<void> {
  const steps = result.plan?.steps ?? []
  const outcome = result.failure
    ? 'failed'
    : config.dryRun
      ? steps.length > 0
        ? `dry run: ${steps.length} step(s) planned`
        : 'dry run: nothing to do'
      : result.changed
        ? 'changed'
        : 'unchanged'
  await writeJobSummary((summary) => {
    summary
      .addHeading(`seaweed-provision: ${config.app}`, 2)
      .addTable([
        [
          { data: 'store', header: true },
          { data: 'endpoint', header: true },
          { data: 'buckets', header: true },
          { data: 'identities', header: true },
          { data: 'outcome', header: true },
          { data: 'duration', header: true }
        ],
        [config.app, config.endpoint, config.buckets.join(', ') || '—', result.identities.join(', ') || '—', outcome, formatDuration(result.durationMs)]
      ])
    if (result.selfTest) {
      summary.addHeading(`S3 self-test with ${result.selfTest.app}'s key on ${result.selfTest.bucket}`, 3).addTable([
        [
          { data: 'operation', header: true },
          { data: 'result', header: true },
          { data: 'detail', header: true }
        ],
        ...result.selfTest.rows.map((row) => [row.operation, row.outcome, row.detail])
      ])
    }
    summary
      .addList([
        ...result.notices.map((notice) => `warning: ${notice}`),
        ...result.notes.map((note) => `note: ${note}`),
        ...(result.failure ? [`error: ${errorMessage(result.failure)}`] : [])
      ])
      .addDetails(config.dryRun ? 'Planned' : 'What changed', listOrNothing(config.dryRun ? steps.map((step) => stepTitle(config, step)) : result.done))
  })
}

function listOrNothing(lines: readonly string[]): string {
  return lines.length > 0 ? lines.map((line) => `- ${line}`).join('<br>') : 'nothing'
}
