import * as core from '@actions/core'
import { sourceLabel } from '../../core/backup/keys.js'
import { formatBytes } from '../../core/backup/pipeline.js'
import { convergeMode, printPlan } from '../../core/converge/apply.js'
import { headedTable, writeActionSummary, type ActionRun } from '../../core/converge/entry.js'
import { formatDuration } from '../../core/format.js'
import type { Plan } from '../../core/converge/plan.js'
import { abortActiveUploads } from '../../core/s3/multipart.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { runBackups } from './backup.js'
import { ACTION_MODES, Inputs, Outputs, readBackupInputs, type BackupConfig } from './inputs.js'
import { runMigrate } from './migrate-main.js'
import { observeSources } from './observe.js'
import { planBackupRun, sourcesToObserve, type BackupStep } from './plan.js'
import { runList, runPrune } from './prune.js'
import { runRestores } from './restore.js'
import { Runtime, type RunOptions, type TaskResult } from './runtime.js'
import { runVerify } from './verify.js'

export class BackupRunFailedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupRunFailedError'
  }
}

export interface RunReport {
  config: BackupConfig
  /** What the run planned from what it observed; empty for mode list. */
  plan: Plan<BackupStep>
  results: TaskResult[]
  durationMs: number
}

export const run: ActionRun = async (inputs = new InputReader(), _context, logger = actionsLogger) => {
  const migrating = inputs.oneOf(Inputs.mode, ACTION_MODES, 'backup') === 'migrate'
  // A cancelled job gets SIGINT (then SIGTERM): abort the uploads in flight (a backup's, or mode
  // migrate's into an uploads bucket) so that no orphan parts stay on the server, then exit as the
  // signal would have.
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.warning(`${signal} received: aborting the uploads in progress; ${migrating ? 'a file whose upload is aborted is copied by the next run' : 'no backup of this run is complete'}.`)
    void abortActiveUploads(new Error(`the run was cancelled (${signal})`)).then((n) => {
      if (n > 0) logger.info(`Aborted ${n} multipart upload(s).`)
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    // Mode migrate (Kubernetes → Dokku) reads its own inputs: no backup destination is involved.
    if (migrating) await runMigrate(inputs, logger, {})
    else await runWithReport(inputs, logger)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** `run`, returning what it did (for tests and the benchmark); throws when any source failed. */
export async function runWithReport(inputs = new InputReader(), logger: Logger = actionsLogger, options: RunOptions = {}): Promise<RunReport> {
  const config = readBackupInputs(inputs)
  const report = await execute(config, logger, options)
  setOutputs(report)
  await writeSummary(report)
  const failed = report.results.filter((r) => r.failed)
  if (failed.length > 0) throw new BackupRunFailedError(`${failed.length} of ${new Set(report.results.map((r) => r.source)).size} source(s) failed:\n${failed.map((f) => `${f.source}: ${f.detail}`).join('\n')}`)
  return report
}

/**
 * Observes, plans, prints the plan and applies it: the mode runs over the sources the plan found,
 * and each source the plan found missing fails alone, untouched. A dry run observes and plans the
 * same way, then the mode only reads. Never throws for one source.
 */
export async function execute(config: BackupConfig, logger: Logger, options: RunOptions = {}): Promise<RunReport> {
  const started = Date.now()
  const rt = new Runtime(config, logger, options)
  try {
    const plan = await observeAndPlan(rt)
    if (config.mode !== 'list') await printPlan(plan, `Plan for backup-run ${config.mode}${config.dryRun ? ' (dry run: nothing will change)' : ''}`, logger)
    const results = await applyBackupPlan(rt, plan)
    for (const r of results) logger.info(`${r.source}${r.id ? ` ${r.id}` : ''}: ${r.outcome} — ${r.detail}`)
    return { config, plan, results, durationMs: Date.now() - started }
  } finally {
    await rt.close()
  }
}

/**
 * The sources are looked at while the destination bucket is checked: the round trips overlap
 * instead of adding up. A destination that cannot be used fails the whole run; a missing source
 * becomes a planned failure of that source (observeSources turns every error into a state).
 */
async function observeAndPlan(rt: Runtime): Promise<Plan<BackupStep>> {
  const observing = observeSources(rt, sourcesToObserve(rt.config))
  await rt.store.checkBucket('destination')
  return planBackupRun(rt.config, await observing)
}

/**
 * Not the engine's applySteps, which stops at the first failure: here a failed source fails alone
 * and the others still run (a night's backup of the database does not wait on a missing bucket).
 * The planned failures become failed rows; the mode runs over the sources left.
 */
async function applyBackupPlan(rt: Runtime, plan: Plan<BackupStep>): Promise<TaskResult[]> {
  const refused = plan.steps.filter((step) => step.detail.failure !== undefined)
  const results = refused.map((step): TaskResult => ({
    source: step.detail.source ? sourceLabel(step.detail.source) : step.resource,
    outcome: rt.config.dryRun ? 'would fail' : rt.config.mode === 'restore' ? 'refused' : 'failed',
    detail: step.detail.failure as string,
    failed: true
  }))
  if (refused.length > 0) rt.actOn(plan.steps.flatMap((step) => (step.detail.failure === undefined && step.detail.source ? [step.detail.source] : [])))
  if (refused.length === 0 || rt.config.sources.length > 0) results.push(...(await modeRunner(rt.config)(rt)))
  // In the plan's order: a failed source stands where it was named.
  const order = new Map(plan.steps.map((step, i) => [step.detail.source ? sourceLabel(step.detail.source) : step.resource, i]))
  return results.sort((a, b) => (order.get(a.source) ?? order.size) - (order.get(b.source) ?? order.size))
}

function modeRunner(config: BackupConfig): (rt: Runtime) => Promise<TaskResult[]> {
  switch (config.mode) {
    case 'backup':
      return runBackups
    case 'restore':
      return runRestores
    case 'verify':
      return runVerify
    case 'prune':
      return runPrune
    case 'list':
      return runList
  }
}

function setOutputs(report: RunReport): void {
  const { results } = report
  core.setOutput(Outputs.backups, JSON.stringify(results.map(({ source, id, outcome, detail, storedBytes, plaintextBytes, key, ageSeconds }) => ({ source, id, outcome, detail, storedBytes, plaintextBytes, key, ageSeconds }))))
  core.setOutput(Outputs.count, String(results.filter((r) => !r.failed).length))
  core.setOutput(Outputs.failed, String(results.filter((r) => r.failed).length))
  const ages = results.filter((r) => !r.failed && r.ageSeconds !== undefined && report.config.mode === 'verify').map((r) => r.ageSeconds as number)
  if (ages.length > 0) core.setOutput(Outputs.recoveryPointAge, String(Math.max(...ages)))
  if (report.config.mode === 'prune') core.setOutput(Outputs.pruned, String(results.filter((r) => r.outcome === 'pruned' || r.outcome === 'would prune').length))
}

async function writeSummary(report: RunReport): Promise<void> {
  const { config, results } = report
  const failed = results.filter((r) => r.failed).length
  await writeActionSummary({
    heading: `backup-run: ${config.mode}`,
    mode: convergeMode({ check: false, dryRun: config.dryRun }),
    tables: [
      {
        rows: headedTable(
          ['source', 'backup', 'outcome', 'stored', 'plaintext', config.mode === 'verify' ? 'recovery point age' : 'age', 'duration', 'details'],
          results.map((r) => [
            r.source,
            r.id ?? '—',
            r.failed ? `❌ ${r.outcome}` : r.outcome,
            r.storedBytes !== undefined ? formatBytes(r.storedBytes) : '—',
            r.plaintextBytes !== undefined ? formatBytes(r.plaintextBytes) : '—',
            r.ageSeconds !== undefined ? formatDuration(r.ageSeconds * 1000) : '—',
            r.durationMs !== undefined ? formatDuration(r.durationMs) : '—',
            r.detail
          ])
        )
      }
    ],
    plan: report.plan,
    lines: [
      `destination: s3://${config.destination.bucket}/${config.prefix}${config.destination.endpoint ? ` at ${config.destination.endpoint}` : ''}`,
      `${failed === 0 ? 'all succeeded' : `${failed} failed`} in ${formatDuration(report.durationMs)}`
    ],
    notes: report.plan.notes
  })
}
