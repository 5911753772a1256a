import * as core from '@actions/core'
import { formatBytes } from '../../core/backup/pipeline.js'
import { abortActiveUploads } from '../../core/s3/multipart.js'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { runBackups } from './backup.js'
import { Inputs, Outputs, readBackupInputs, type BackupConfig } from './inputs.js'
import { runMigrate } from './migrate-main.js'
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
  results: TaskResult[]
  durationMs: number
}

export async function run(inputs = new InputReader(), logger: Logger = actionsLogger, options: RunOptions = {}): Promise<void> {
  // Mode migrate (Kubernetes → Dokku) reads its own inputs: no backup destination is involved.
  if (inputs.optional(Inputs.mode) === 'migrate') return void (await runMigrate(inputs, logger, options))
  // A cancelled job gets SIGINT (then SIGTERM): abort the uploads in flight so that no orphan
  // parts stay on the server, then exit as the signal would have.
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.warning(`${signal} received: aborting the uploads in progress; no backup of this run is complete.`)
    void abortActiveUploads(new Error(`the run was cancelled (${signal})`)).then((n) => {
      if (n > 0) logger.info(`Aborted ${n} multipart upload(s).`)
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await runWithReport(inputs, logger, options)
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

/** Runs the mode against the destination (and the host, when the mode needs it); never throws for one source. */
export async function execute(config: BackupConfig, logger: Logger, options: RunOptions = {}): Promise<RunReport> {
  const started = Date.now()
  const rt = new Runtime(config, logger, options)
  try {
    // The SSH connection is opened, and `dokku version` asked, while the bucket is checked, when
    // the mode will need the host anyway: the round trips overlap instead of adding up. Their
    // failures surface where the host is used, with the source they fail.
    const needsHost = (config.mode === 'backup' || config.mode === 'restore') && !config.dryRun && config.sources.some((s) => s.kind !== 'bucket' && s.kind !== 'cockroach')
    if (needsHost) rt.dokku().catch(() => undefined)
    await rt.store.checkBucket('destination')
    if (needsHost) await rt.host().catch(() => undefined)
    if (config.dryRun) logger.info(`dry-run: nothing will be written, restored or deleted`)
    const results = await modeRunner(config)(rt)
    for (const r of results) logger.info(`${r.source}${r.id ? ` ${r.id}` : ''}: ${r.outcome} — ${r.detail}`)
    return { config, results, durationMs: Date.now() - started }
  } finally {
    await rt.close()
  }
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

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86_400).toFixed(1)} days`
}

async function writeSummary(report: RunReport): Promise<void> {
  const { config, results } = report
  const failed = results.filter((r) => r.failed).length
  await writeJobSummary((summary) => {
    summary.addHeading(`backup-run: ${config.mode}${config.dryRun ? ' (dry run)' : ''}`, 2)
    summary.addTable([
      [
        { data: 'source', header: true },
        { data: 'backup', header: true },
        { data: 'outcome', header: true },
        { data: 'stored', header: true },
        { data: 'plaintext', header: true },
        { data: config.mode === 'verify' ? 'recovery point age' : 'age', header: true },
        { data: 'duration', header: true },
        { data: 'details', header: true }
      ],
      ...results.map((r) => [
        r.source,
        r.id ?? '—',
        r.failed ? `❌ ${r.outcome}` : r.outcome,
        r.storedBytes !== undefined ? formatBytes(r.storedBytes) : '—',
        r.plaintextBytes !== undefined ? formatBytes(r.plaintextBytes) : '—',
        r.ageSeconds !== undefined ? formatAge(r.ageSeconds) : '—',
        r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : '—',
        r.detail
      ])
    ])
    summary.addList([
      `destination: s3://${config.destination.bucket}/${config.prefix}${config.destination.endpoint ? ` at ${config.destination.endpoint}` : ''}`,
      `${failed === 0 ? 'all succeeded' : `${failed} failed`} in ${(report.durationMs / 1000).toFixed(1)} s`
    ])
  })
}
