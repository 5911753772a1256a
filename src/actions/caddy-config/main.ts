import * as core from '@actions/core'
import { convergeMode } from '../../core/converge/apply.js'
import { escapeHtml, headedTable, outcomeWord, writeActionSummary, type ActionRun } from '../../core/converge/entry.js'
import { formatDuration } from '../../core/format.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger } from '../../core/log.js'
import type { CaddyResult } from '../../core/caddy/converge.js'
import { stepTitle } from '../../core/caddy/plan.js'
import { verifyTarget } from '../../core/caddy/verify.js'
import { configureCaddy } from './configure.js'
import { Outputs, readCaddyInputs, type CaddyConfig } from './inputs.js'

export const run: ActionRun = async (inputs = new InputReader(), _context, logger = actionsLogger) => {
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
  const mode = convergeMode({ check: false, dryRun: config.dryRun })
  const outcome = outcomeWord({ mode, planned: result.plan.steps.length, changed: result.changed, failed: result.failure !== undefined })
  const overview = [
    config.app?.app ?? '—',
    config.app?.domains.join(' ') ?? '—',
    config.tls,
    result.certificateIssuer || (config.verify ? '—' : 'not verified'),
    outcome,
    formatDuration(result.durationMs)
  ]
  const checks = result.checks.map((c) => [
    c.domain,
    String(c.httpsStatus ?? '—'),
    c.certificate ? `${c.certificate.names} by ${c.certificate.issuer}` : '—',
    c.redirectStatus ? `${c.redirectStatus} → ${c.redirectLocation ?? ''}` : '—',
    c.ok ? 'ok' : c.problem
  ])
  await writeActionSummary({
    heading: `caddy-config${config.app ? `: ${config.app.app}` : ''}`,
    mode,
    tables: [
      { rows: headedTable(['app', 'domains', 'tls', 'certificate issuer', 'outcome', 'duration'], [overview]) },
      ...(checks.length > 0 ? [{ rows: headedTable(['domain', 'HTTPS', 'certificate', 'HTTP', 'result'], checks) }] : [])
    ],
    notices: result.notices,
    notes: result.plan.notes,
    failure: result.failure,
    changes: { planned: result.plan.steps.map(stepTitle), done: result.done },
    details: [{ title: `Rendered Caddyfile (checked with ${result.validation.caddyVersion})`, html: `<pre>${escapeHtml(result.plan.host.caddyfile)}</pre>` }]
  })
}
