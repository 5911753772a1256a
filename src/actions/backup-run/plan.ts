// backup-run's plan: one step per source (back up, restore, verify, drill, prune), each with what
// is there now and why, from what the run observed before acting. A source that cannot be acted on
// (a missing service, app or bucket) is a planned failure: it is in the plan, so a dry run names
// it, and the real run fails that source alone without touching it. Pure: no I/O here.
import { sourceLabel, sourcePrefix, type SourceRef } from '../../core/backup/keys.js'
import { ABSENT, emptyPlan, type Plan, type Step } from '../../core/converge/plan.js'
import { cockroachUnsupported } from './cockroach.js'
import type { BackupConfig } from './inputs.js'

/** What the run found of one source (or restore target) before acting. */
export type SourceState = { present: true; what: string } | { present: false; why: string }

/** By source label (`postgres:db`); only the sources the mode touches on the host or a source store. */
export type BackupObservation = ReadonlyMap<string, SourceState>

export interface SourceDetail {
  /** The source the step acts on; undefined for a step over every source under the prefix. */
  source: SourceRef | undefined
  /** Why the source cannot be acted on: the step fails this source alone, without touching it. */
  failure: string | undefined
}

export type BackupStep = Step<SourceDetail>

/** What a mode does to one source, as the plan's action. */
const ACTIONS = { backup: 'back up', restore: 'restore', verify: 'verify', prune: 'prune' } as const

/** The sources a mode must find on the host or a source store before acting: backups read them, a restore writes its target. */
export function sourcesToObserve(config: BackupConfig): SourceRef[] {
  if (config.mode === 'backup') return config.sources.filter((s) => s.kind !== 'cockroach')
  if (config.mode === 'restore') return [config.target ?? (config.sources[0] as SourceRef)]
  return []
}

export function planBackupRun(config: BackupConfig, observed: BackupObservation): Plan<BackupStep> {
  const plan = emptyPlan<BackupStep>()
  const destination = `s3://${config.destination.bucket}/${config.prefix}`
  switch (config.mode) {
    case 'backup':
      for (const source of config.sources) plan.steps.push(backupStep(config, source, observed))
      break
    case 'restore':
      plan.steps.push(restoreStep(config, config.sources[0] as SourceRef, observed))
      break
    case 'verify':
    case 'prune': {
      const action = config.mode === 'verify' && config.drill ? 'drill' : ACTIONS[config.mode]
      const wanted = config.mode === 'prune' ? `kept by ${retentionText(config)}` : config.drill ? 'restored into a scratch service, counts match' : 'checksums match'
      const reason = config.mode === 'prune' ? 'backups beyond the retention policy are deleted (the newest complete one always stays)' : 'prove the backup can be read back'
      const current = `${config.backupId ? `backup ${config.backupId}` : 'newest complete backup'}`
      if (config.sources.length === 0) plan.steps.push(step(`every source under ${destination}`, 'backups', wanted, action, reason, undefined))
      for (const source of config.sources) plan.steps.push(step(sourceLabel(source), config.mode === 'prune' ? `backups under ${destination}` : current, wanted, action, reason, source))
      break
    }
    case 'list':
      break
  }
  if (config.dryRun) plan.notes.push('dry-run: nothing is written, restored or deleted')
  return plan
}

function backupStep(config: BackupConfig, source: SourceRef, observed: BackupObservation): BackupStep {
  const label = sourceLabel(source)
  const wanted = `backed up to s3://${config.destination.bucket}/${sourcePrefix(config.prefix, source)}`
  const reason = 'mode backup: a new backup, encrypted, its manifest written last'
  if (source.kind === 'cockroach') return failed(label, 'CockroachDB app', wanted, ACTIONS.backup, 'backup-run cannot stream a CockroachDB node (the error says what to do instead)', source, cockroachUnsupported(source.name).message)
  const state = observed.get(label)
  if (!state) return failed(label, 'not observed', wanted, ACTIONS.backup, 'the run could not look at this source', source, `${label} was not observed before the run.`)
  if (!state.present) return failed(label, ABSENT, wanted, ACTIONS.backup, state.why, source, state.why)
  return step(label, state.what, wanted, ACTIONS.backup, reason, source)
}

function restoreStep(config: BackupConfig, source: SourceRef, observed: BackupObservation): BackupStep {
  const target = config.target ?? source
  const label = sourceLabel(target)
  const wanted = `holds ${sourceLabel(source)} ${config.backupId ? `backup ${config.backupId}` : 'newest complete backup'}`
  const reason = `mode restore${config.overwrite ? ' with overwrite: true' : ''}`
  const state = observed.get(label)
  if (!state) return failed(label, 'not observed', wanted, ACTIONS.restore, 'the run could not look at the target', source, `${label} was not observed before the run.`)
  if (state.present) return step(label, state.what, wanted, ACTIONS.restore, reason, source)
  // A missing database service is created to restore into (a scratch or replacement service); an app or a bucket is not.
  if (target.kind === 'postgres' || target.kind === 'redis') return step(label, ABSENT, wanted, 'create and restore', `${reason}; ${state.why}`, source)
  return failed(label, ABSENT, wanted, ACTIONS.restore, state.why, source, state.why)
}

function retentionText(config: BackupConfig): string {
  const r = config.retention
  const parts = [
    ['keep-last', r.keepLast],
    ['keep-daily', r.keepDaily],
    ['keep-weekly', r.keepWeekly],
    ['keep-monthly', r.keepMonthly]
  ].filter(([, n]) => (n as number) > 0)
  return parts.map(([name, n]) => `${name} ${n}`).join(', ')
}

function step(resource: string, current: string, wanted: string, action: string, reason: string, source: SourceRef | undefined): BackupStep {
  return { resource, current, wanted, action, reason, detail: { source, failure: undefined } }
}

function failed(resource: string, current: string, wanted: string, action: string, reason: string, source: SourceRef, failure: string): BackupStep {
  return { resource, current, wanted, action: `cannot ${action}`, reason, detail: { source, failure } }
}
