import * as core from '@actions/core'
import { formatDuration } from '../../core/format.js'
import { withDokkuHost } from '../../core/converge/host.js'
import { planJson, planTable, unmanagedLine } from '../../core/converge/render.js'
import { errorMessage } from '../../core/errors.js'
import { readRunContext, type RunContext } from '../../core/github/context.js'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { readStackFile } from '../../core/stack/file.js'
import { checkDeploySource, type DeploySourceCheck } from '../dokku-deploy/deploy.js'
import { convergeStack, type StackResult } from './converge.js'
import { Outputs, readStackInputs, type StackSettings } from './inputs.js'
import { stackResources } from './resources.js'

export async function run(inputs = new InputReader(), context: RunContext = readRunContext(), logger: Logger = actionsLogger): Promise<void> {
  // Everything that can be checked on the runner is checked before connecting: inputs, the file, the secrets, the checkouts.
  const settings = readStackInputs(inputs)
  const stack = await readStackFile(settings.stackFile)
  const resources = stackResources(stack, settings, inputs, context, process.env)
  const sources = new Map<string, DeploySourceCheck>()
  for (const app of resources.apps) if (app.deploy) sources.set(app.name, await checkDeploySource(app.deploy, logger))

  const result = await withDokkuHost(settings.ssh, logger, (host) => convergeStack(host, resources, sources, settings.mode, logger))
  core.setOutput(Outputs.changed, String(result.changed))
  core.setOutput(Outputs.plan, planJson(result.plan))
  await writeSummary(settings, result)
  if (result.failure) throw result.failure
}

function outcome(settings: StackSettings, result: StackResult): string {
  const steps = result.plan.steps.length
  if (settings.mode === 'check') return result.failure ? (steps > 0 ? `drift: ${steps} difference(s)` : 'failed') : 'no drift'
  if (result.failure) return 'failed'
  if (settings.mode === 'dry-run') return steps > 0 ? `dry run: ${steps} step(s) planned` : 'dry run: nothing to do'
  return result.changed ? 'changed' : 'unchanged'
}

async function writeSummary(settings: StackSettings, result: StackResult): Promise<void> {
  await writeJobSummary((summary) => {
    summary.addHeading(`dokku-stack: ${settings.stackFile} — ${outcome(settings, result)} (${formatDuration(result.durationMs)})`, 2)
    if (result.plan.steps.length > 0) summary.addTable(planTable(result.plan))
    else summary.addRaw('Nothing to do: the host is already as the stack file says.', true)
    summary.addList([
      ...result.plan.notices.map((notice) => `warning: ${notice}`),
      ...result.plan.notes.map((note) => `note: ${note}`),
      ...result.plan.unmanaged.map(unmanagedLine),
      ...(result.failure ? [`error: ${errorMessage(result.failure)}`] : [])
    ])
    if (settings.mode === 'apply') summary.addDetails('Done on the host, in order', result.done.length > 0 ? result.done.map((line) => `- ${line}`).join('<br>') : 'nothing')
  })
}
