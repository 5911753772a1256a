import * as core from '@actions/core'
import { convergeMode } from '../../core/converge/apply.js'
import { headedTable, outcomeWord, writeActionSummary, type ActionRun } from '../../core/converge/entry.js'
import { formatDuration } from '../../core/format.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger } from '../../core/log.js'
import { Outputs, readSeaweedInputs, type SeaweedConfig } from './inputs.js'
import { stepTitle } from './plan.js'
import { provisionSeaweed, type SeaweedResult } from './provision.js'

export const run: ActionRun = async (inputs = new InputReader(), _context, logger = actionsLogger) => {
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
  const mode = convergeMode({ check: false, dryRun: config.dryRun })
  const outcome = outcomeWord({ mode, planned: steps.length, changed: result.changed, failed: result.failure !== undefined })
  const overview = [config.app, config.endpoint, config.buckets.join(', ') || '—', result.identities.join(', ') || '—', outcome, formatDuration(result.durationMs)]
  const selfTest = result.selfTest
  await writeActionSummary({
    heading: `seaweed-provision: ${config.app}`,
    mode,
    tables: [
      { rows: headedTable(['store', 'endpoint', 'buckets', 'identities', 'outcome', 'duration'], [overview]) },
      ...(selfTest
        ? [
            {
              title: `S3 self-test with ${selfTest.app}'s key on ${selfTest.bucket}`,
              rows: headedTable(
                ['operation', 'result', 'detail'],
                selfTest.rows.map((row) => [row.operation, row.outcome, row.detail])
              )
            }
          ]
        : [])
    ],
    notices: result.notices,
    notes: result.notes,
    failure: result.failure,
    changes: { planned: steps.map((step) => stepTitle(config, step)), done: result.done }
  })
}
