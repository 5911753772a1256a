import * as core from '@actions/core'
import { convergeMode } from '../../core/converge/apply.js'
import { headedTable, outcomeWord, writeActionSummary, type ActionRun } from '../../core/converge/entry.js'
import { formatDuration } from '../../core/format.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger } from '../../core/log.js'
import { registerSecret } from '../../core/secrets.js'
import { Outputs, readServiceInputs, type ServiceConfig } from './inputs.js'
import { stepTitle } from './plan.js'
import { provisionService, type ServiceResult } from './service.js'

export const run: ActionRun = async (inputs = new InputReader(), _context, logger = actionsLogger) => {
  const config = readServiceInputs(inputs)
  const result = await provisionService(config, logger)
  setOutputs(config, result)
  await writeSummary(config, result)
  if (result.failure) throw result.failure
}

function setOutputs(config: ServiceConfig, result: ServiceResult): void {
  core.setOutput(Outputs.service, config.service)
  core.setOutput(Outputs.changed, String(result.changed))
  if (result.url) {
    // Registered once more right here: the output must never be the first place the runner sees it.
    registerSecret(result.url)
    core.setOutput(Outputs.url, result.url)
  }
}

async function writeSummary(config: ServiceConfig, result: ServiceResult): Promise<void> {
  const mode = convergeMode({ check: false, dryRun: config.dryRun })
  const words = config.destroy ? { changed: 'destroyed', unchanged: 'already absent' } : {}
  const outcome = outcomeWord({ mode, planned: result.plan.steps.length, changed: result.changed, failed: result.failure !== undefined }, words)
  await writeActionSummary({
    heading: `dokku-service: ${config.engine} ${config.service}`,
    mode,
    tables: [
      {
        rows: headedTable(
          ['service', 'engine', 'linked app', 'variable', 'outcome', 'duration'],
          [[config.service, config.engine, config.app ?? '—', result.plan.variable ?? '—', outcome, formatDuration(result.durationMs)]]
        )
      }
    ],
    notices: result.notices,
    notes: result.notes,
    failure: result.failure,
    changes: { planned: result.plan.steps.map((step) => `would ${stepTitle(config, step)}`), done: result.done }
  })
}
