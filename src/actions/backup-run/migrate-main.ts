import * as core from '@actions/core'
import { writeJobSummary } from '../../core/github/summary.js'
import { InputReader } from '../../core/inputs/readers.js'
import { actionsLogger, type Logger } from '../../core/log.js'
import { MigrateOutputs, readMigrateInputs } from './migrate-inputs.js'
import { describeStep, migrate, type MigrateOptions, type MigrateReport, type SectionResult } from './migrate.js'

export class MigrationFailedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MigrationFailedError'
  }
}

/** backup-run `mode: migrate`: Kubernetes → this Dokku host (see migrate.ts). */
export async function runMigrate(inputs = new InputReader(), logger: Logger = actionsLogger, options: MigrateOptions = {}): Promise<MigrateReport> {
  const config = readMigrateInputs(inputs)
  const report = await migrate(config, logger, options)
  core.setOutput(MigrateOutputs.changed, String(report.changed))
  core.setOutput(MigrateOutputs.migration, JSON.stringify(outputReport(report)))
  await writeJobSummary((summary) => {
    summary.addHeading(`backup-run: migrate into ${config.app}${config.dryRun ? ' (dry run)' : ''}`, 2)
    summary.addTable([
      [
        { data: 'what', header: true },
        { data: 'outcome', header: true },
        { data: 'details', header: true }
      ],
      ...sections(report).map(([name, section]) => [name, section.failed ? `❌ ${section.outcome}` : section.outcome, section.detail])
    ])
    if (report.plan.steps.length > 0) summary.addList(report.plan.steps.map(describeStep))
    if (report.plan.notes.length > 0) summary.addList(report.plan.notes)
  })
  const failed = sections(report).filter(([, section]) => section.failed)
  if (failed.length > 0) throw new MigrationFailedError(failed.map(([name, section]) => `${name}: ${section.outcome} — ${section.detail}`).join('\n'))
  return report
}

function sections(report: MigrateReport): [string, SectionResult][] {
  return (
    [
      ['config', report.secret],
      ['database', report.database],
      ['uploads', report.uploads]
    ] as [string, SectionResult | undefined][]
  ).filter((entry): entry is [string, SectionResult] => entry[1] !== undefined)
}

/** Names, counts and outcomes only: the output never carries a value. */
function outputReport(report: MigrateReport): unknown {
  return {
    changed: report.changed,
    steps: report.plan.steps.map((step) => step.kind),
    config: report.secret && { outcome: report.secret.outcome, set: report.secret.set, unchanged: report.secret.unchanged, unmapped: report.secret.unmapped },
    database: report.database && { outcome: report.database.outcome, detail: report.database.detail, tables: report.database.tables, largeObjects: report.database.largeObjects },
    uploads: report.uploads && { outcome: report.uploads.outcome, detail: report.uploads.detail, files: report.uploads.files, bytes: report.uploads.bytes, copied: report.uploads.copied, copiedBytes: report.uploads.copiedBytes }
  }
}
