import * as core from '@actions/core'
import { errorMessage } from '../../core/errors.js'
import { formatDuration } from '../../core/format.js'
import type { RunContext } from '../../core/github/context.js'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import type { CaddyResult } from '../../core/caddy/converge.js'
import { stepTitle } from '../../core/caddy/plan.js'
import { verifyTarget } from '../../core/caddy/verify.js'
import { configureCaddy } from './configure.js'
import { Outputs, readCaddyInputs, type CaddyConfig } from './inputs.js'

export async function run(inputs = new InputReader(), _context?: RunContext, logger: Logger = actionsLogger): Promise<void> {
  const config = readCaddyInputs(inputs)
  verifyTarget()
  const result = await configureCaddy(config, logger)
  setOutputs(config, result)
  await writeSummary(config, result)
  if (result.failure) throw result.failure
}

function urls(config: CaddyConfig): string[] {
  return (config.app?.domains ?? []).map((domain) => `https://${domain}/`)
}

function setOutputs(config: CaddyConfig, result: CaddyResult): void {
  core.setOutput(Outputs.changed, String(result.changed))
  core.setOutput(Outputs.urls, urls(config).join('\n'))
  core.setOutput(Outputs.caddyfile, result.caddyfile)
  core.setOutput(Outputs.certificateIssuer, result.certificateIssuer)
}

async function writeSummary(config: CaddyConfig, result: CaddyResult): Promise<void> {
  const outcome = result.failure
    ? 'failed'
    : config.dryRun
      ? result.plan.steps.length > 0
        ? `dry run: ${result.plan.steps.length} step(s) planned`
        : 'dry run: nothing to do'
      : result.changed
        ? 'changed'
        : 'unchanged'
  await writeJobSummary((summary) => {
    summary
      .addHeading(`caddy-config${config.app ? `: ${config.app.app}` : ''}`, 2)
      .addTable([
        [
          { data: 'app', header: true },
          { data: 'domains', header: true },
          { data: 'tls', header: true },
          { data: 'certificate issuer', header: true },
          { data: 'outcome', header: true },
          { data: 'duration', header: true }
        ],
        [config.app?.app ?? '—', config.app?.domains.join(' ') ?? '—', config.tls, result.certificateIssuer || (config.verify ? '—' : 'not verified'), outcome, formatDuration(result.durationMs)]
      ])
    if (result.checks.length > 0)
      summary.addTable([
        [
          { data: 'domain', header: true },
          { data: 'HTTPS', header: true },
          { data: 'certificate', header: true },
          { data: 'HTTP', header: true },
          { data: 'result', header: true }
        ],
        ...result.checks.map((c) => [
          c.domain,
          String(c.httpsStatus ?? '—'),
          c.certificate ? `${c.certificate.names} by ${c.certificate.issuer}` : '—',
          c.redirectStatus ? `${c.redirectStatus} → ${c.redirectLocation ?? ''}` : '—',
          c.ok ? 'ok' : c.problem
        ])
      ])
    summary
      .addList([
        ...result.notices.map((notice) => `warning: ${notice}`),
        ...result.plan.notes.map((note) => `note: ${note}`),
        ...(result.failure ? [`error: ${errorMessage(result.failure)}`] : [])
      ])
      .addDetails(config.dryRun ? 'Planned' : 'What changed', listOrNothing(config.dryRun ? result.plan.steps.map(stepTitle) : result.done))
      .addDetails(`Rendered Caddyfile (checked with ${result.validation.caddyVersion})`, `<pre>${escapeHtml(result.plan.host.caddyfile)}</pre>`)
  })
}

function listOrNothing(lines: readonly string[]): string {
  return lines.length > 0 ? lines.map((line) => `- ${line}`).join('<br>') : 'nothing'
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
