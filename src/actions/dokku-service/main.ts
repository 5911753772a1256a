import * as core from '@actions/core'
import { errorMessage } from '../../core/errors.js'
import { formatDuration } from '../../core/format.js'
import type { RunContext } from '../../core/github/context.js'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { registerSecret } from '../../core/secrets.js'
import { Outputs, readServiceInputs, type ServiceConfig } from './inputs.js'
import { stepTitle } from './plan.js'
import { provisionService, type ServiceResult } from './service.js'

export async function run(inputs = new InputReader(), _context?: RunContext, logger: Logger = actionsLogger): Promise<void> {
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
  const outcome = result.failure
    ? 'failed'
    : config.dryRun
      ? result.plan.steps.length > 0
        ? `dry run: ${result.plan.steps.length} step(s) planned`
        : 'dry run: nothing to do'
      : config.destroy
        ? result.changed
          ? 'destroyed'
          : 'already absent'
        : result.changed
          ? 'changed'
          : 'unchanged'
  await writeJobSummary((summary) =>
    summary
      .addHeading(`dokku-service: ${config.engine} ${config.service}`, 2)
      .addTable([
        [
          { data: 'service', header: true },
          { data: 'engine', header: true },
          { data: 'linked app', header: true },
          { data: 'variable', header: true },
          { data: 'outcome', header: true },
          { data: 'duration', header: true }
        ],
        [config.service, config.engine, config.app ?? '—', result.plan.variable ?? '—', outcome, formatDuration(result.durationMs)]
      ])
      .addList([
        ...result.notices.map((notice) => `warning: ${notice}`),
        ...result.notes.map((note) => `note: ${note}`),
        ...(result.failure ? [`error: ${errorMessage(result.failure)}`] : [])
      ])
      .addDetails(
        config.dryRun ? 'What would change' : 'Done on the host, in order',
        config.dryRun
          ? listOrNothing(result.plan.steps.map((step) => `would ${stepTitle(config, step)}`), 'nothing would change: the host is already as asked')
          : listOrNothing(result.done, result.failure ? 'nothing' : 'nothing: the host is already as asked')
      )
  )
}

function listOrNothing(lines: readonly string[], nothing: string): string {
  return lines.length > 0 ? lines.map((line) => `- ${line}`).join('<br>') : nothing
}
