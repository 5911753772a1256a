// Off Kubernetes with the data: observe the cluster and the Dokku host, plan, print, and (unless
// dry-run) copy the Secret into the app's config, the database into its Postgres service and the
// uploads into its storage or a bucket (migrate-bucket.ts), each verified on both sides. Every copy
// can be run again after a kill: the database is restored with --clean into a target marked as
// this action's, the uploads skip files (objects) already present with the same SHA-256.
import { sweepAbandonedUploads } from '../../core/backup/abandoned-uploads.js'
import { parseRowCounts, rowCountScript, type RowCounts } from '../../core/backup/databases.js'
import type { TableCount } from '../../core/backup/manifest.js'
import { formatBytes, Progress } from '../../core/backup/pipeline.js'
import { consumeAllowingEarlyEnd, CountingStream } from '../../core/backup/streams.js'
import { DokkuClient } from '../../core/dokku/client.js'
import { errorMessage } from '../../core/errors.js'
import { batchPaths, describeChange, diffInventories, hasChecksums, INVENTORY_SCRIPT, inventoryCommand, parseInventory, totalBytes, type FileEntry } from '../../core/files/inventory.js'
import { withKubeconfig, type Kubectl } from '../../core/k8s/kubectl.js'
import { planSecretMapping, type SecretPlan } from '../../core/k8s/secret.js'
import type { Logger } from '../../core/log.js'
import { connectSsh, type SshExecutor } from '../../core/ssh/connection.js'
import { ObjectStore } from '../../core/s3/client.js'
import { BucketWriter, extraObjects, objectKey, observeBucket, type BucketState, type CopiedObject } from './migrate-bucket.js'
import type { MigrateConfig, UploadsTarget } from './migrate-inputs.js'

/** The container directory `storage:exec` mounts the entry at (scheduler-docker-local storage_exec.go). */
const STORAGE_EXEC_ROOT = '/data'
const MARK = 'dokku-stack'
/**
 * Extracts the tar stream on stdin into the entry, then reads stdin to its end: tar stops at the
 * archive's end-of-archive blocks, while GNU tar pads the stream to its 10 KiB record; a command
 * that exited before the padding arrived would cut the stream the pod is still writing.
 */
const EXTRACT_COMMAND = ['sh', '-c', 'cd "$1" && tar -x -f - && exec cat >/dev/null', 'sh', STORAGE_EXEC_ROOT]
/**
 * The last extraction, then the entry's inventory (INVENTORY_SCRIPT: every file read back from the
 * disk once tar has exited) in the same container: the target's list after the copy on the
 * extraction's stdout, without another storage:exec.
 */
const EXTRACT_THEN_LIST_COMMAND = ['sh', '-c', 'cd "$1" && tar -x -f - && cat >/dev/null && exec sh -c "$2" sh "$1"', 'sh', STORAGE_EXEC_ROOT, INVENTORY_SCRIPT]
/** The target database's comment while this action copies into it, and once the copy is verified. */
export const MARKER = { copying: 'dokku-stack backup-run migrate: copying', complete: 'dokku-stack backup-run migrate: complete' } as const

export type Step =
  | { kind: 'create-app'; reason: string }
  | { kind: 'set-config'; keys: string[]; plainKeys: string[]; reason: string }
  | { kind: 'create-service'; service: string; reason: string }
  | { kind: 'copy-database'; service: string; tables: number; rows: number; largeObjects: number; reason: string }
  | { kind: 'mount-storage'; storage: string; path: string; reason: string }
  /** `into`: where, in words ("storage uro-uploads", "bucket s3://uploads/prefix/"). */
  | { kind: 'copy-uploads'; into: string; files: FileEntry[]; everything: boolean; reason: string }

export interface Observed {
  appExists: boolean
  secret?: { plan: SecretPlan }
  database?: { source: DatabaseCounts; target: TargetDatabase }
  uploads?: {
    source: Map<string, FileEntry>
    target: Map<string, FileEntry>
    /** A storage target: whether the entry exists and is mounted into the app. */
    storage?: { entryExists: boolean; mounted: boolean }
    /** A bucket target: the objects under the prefix, and their read-back checksums. */
    bucket?: BucketState
  }
}

export interface DatabaseCounts extends RowCounts {
  largeObjects: number
}

export interface TargetDatabase {
  exists: boolean
  relations: number
  marker: string
  counts: DatabaseCounts | undefined
}

export interface Plan {
  steps: Step[]
  /** What is already as asked, and what is left alone on purpose. */
  notes: string[]
}

export interface SectionResult {
  outcome: string
  detail: string
  failed?: boolean
}

export interface MigrateReport {
  plan: Plan
  changed: boolean
  secret?: SectionResult & { set: string[]; unchanged: string[]; unmapped: string[] }
  database?: SectionResult & { tables: TableCount[]; largeObjects: number }
  uploads?: SectionResult & { files: number; bytes: number; copied: number; copiedBytes: number }
}

export class MigrationRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MigrationRefusedError'
  }
}

export interface MigrateOptions {
  progressIntervalMs?: number
  /** Part size of the uploads bucket's multipart uploads (tests: small, to cross it with small files). */
  partSize?: number
  /** The clock that says how old an abandoned multipart upload is (tests: a later one). */
  now?: () => Date
}

export async function migrate(config: MigrateConfig, logger: Logger, options: MigrateOptions = {}): Promise<MigrateReport> {
  return withKubeconfig(config.kubeconfig, { binary: config.kubectl, namespace: config.namespace, logger }, async (kubectl) => {
    const target = config.uploads?.target
    const store = target?.kind === 'bucket' ? new ObjectStore(target.s3, { maxSockets: Math.max(32, config.concurrency * 2) }) : undefined
    // The cluster's reads need no SSH: they start first, beside the connection and `dokku version`.
    const reading = new AbortController()
    const pod = readPod(config, kubectl, reading.signal)
    let executor: SshExecutor | undefined
    try {
      executor = await connectSsh(config.ssh, { logger })
      const dokku = await DokkuClient.create(executor, logger)
      const observed = await observe(config, pod, dokku, store)
      const plan = planMigration(config, observed)
      printPlan(plan, logger, config.dryRun)
      const report: MigrateReport = { plan, changed: false }
      describeObserved(config, observed, report)
      if (config.dryRun) return report
      await apply(config, plan, observed, { kubectl, dokku, store }, logger, report, options)
      return report
    } finally {
      // Done by now unless the run failed before observe waited for them (an inventory can take minutes).
      reading.abort()
      await executor?.close()
      store?.destroy()
    }
  })
}

// ---- observe ----------------------------------------------------------------------------

/** Starts what observe reads in the cluster; `signal` stops what is still running. */
export function readPod(config: MigrateConfig, kubectl: Kubectl, signal?: AbortSignal): PodReads {
  let inventory: Promise<Map<string, FileEntry>> | undefined
  const pod: PodReads = {
    secret: config.secret ? kubectl.secretData(config.secret.name, signal ? { signal } : {}) : undefined,
    counts: config.database ? sourceCounts(config, kubectl, signal) : undefined,
    // Into a destination with nothing there yet (a storage entry that does not exist, a prefix
    // with no object), every file is copied: names and sizes plan that copy, and the files are
    // hashed once, after it. The checksums are read only where there is something to compare with.
    listing: config.uploads ? podInventory(config, kubectl, signal, { checksums: false }) : undefined,
    inventory: () => {
      inventory ??= podInventory(config, kubectl, signal)
      inventory.catch(() => undefined)
      return inventory
    }
  }
  // Awaited by observe; a failure meanwhile must not be an unhandled rejection.
  for (const read of [pod.secret, pod.counts, pod.listing]) read?.catch(() => undefined)
  return pod
}

/** The host's reads, beside the cluster's (`pod`, started earlier): they share nothing but the wall clock. */
export async function observe(config: MigrateConfig, pod: PodReads, dokku: DokkuClient, store?: ObjectStore): Promise<Observed> {
  // Each section's host reads start beside the app's: only those that name the app wait for it.
  const app = dokku.apps.exists(config.app)
  app.catch(() => undefined)
  const schedulerChecked = app.then(async (exists) => {
    if (!exists) return
    const scheduler = await dokku.scheduler.selected(config.app)
    if (scheduler !== 'docker-local')
      throw new MigrationRefusedError(
        `App ${config.app} is scheduled with ${scheduler}: its pods cannot reach the Dokku services the database is copied into, and its storage is a PersistentVolumeClaim, not a host directory. ` +
          'Migrate onto docker-local first (dokku scheduler:set <app> selected docker-local); docs/scale-out.md says what changes on k3s.'
      )
  })
  const [appExists, , secret, database, uploads] = await Promise.all([
    app,
    schedulerChecked,
    config.secret ? observeSecret(config, pod, dokku, app) : undefined,
    config.database ? observeDatabase(config, pod, dokku) : undefined,
    config.uploads ? observeUploads(config, pod, dokku, app, store) : undefined
  ])
  const observed: Observed = { appExists }
  if (secret) observed.secret = secret
  if (database) observed.database = database
  if (uploads) observed.uploads = uploads
  return observed
}

/** What observe reads in the cluster, started before the host is asked anything. */
export interface PodReads {
  secret: Promise<Record<string, string>> | undefined
  counts: Promise<DatabaseCounts> | undefined
  /** The uploads' names and sizes, without SHA-256. */
  listing: Promise<Map<string, FileEntry>> | undefined
  /** The uploads with their SHA-256: read on the first call, the same read after. */
  inventory: () => Promise<Map<string, FileEntry>>
}

async function observeSecret(config: MigrateConfig, pod: PodReads, dokku: DokkuClient, app: Promise<boolean>): Promise<Observed['secret']> {
  const secret = config.secret as NonNullable<MigrateConfig['secret']>
  const [data, current] = await Promise.all([pod.secret as Promise<Record<string, string>>, app.then((exists) => (exists ? dokku.config.export(config.app) : {}))])
  return { plan: planSecretMapping(data, secret.keys, current) }
}

/**
 * psql script: the row counts of rowCountScript, the number of large objects (not in any
 * table's count, and easy to lose), the database's comment (this action's marker) and how many
 * user relations exist.
 */
export function databaseStateScript(): string {
  return [
    rowCountScript(),
    `SELECT '${MARK}-large-objects' || chr(9) || count(*) FROM pg_largeobject_metadata;`,
    `SELECT '${MARK}-marker' || chr(9) || to_json(coalesce(shobj_description(d.oid, 'pg_database'), ''))::text FROM pg_database d WHERE d.datname = current_database();`,
    `SELECT '${MARK}-relations' || chr(9) || count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%';`,
    ''
  ].join('\n')
}

export function parseDatabaseState(output: string): { counts: DatabaseCounts; marker: string; relations: number } {
  const field = (name: string): string | undefined => output.split('\n').find((line) => line.startsWith(`${MARK}-${name}\t`))?.split('\t')[1]
  const largeObjects = field('large-objects')
  const relations = field('relations')
  if (largeObjects === undefined || relations === undefined) throw new Error(`psql did not answer the database state (got ${JSON.stringify(output.slice(0, 200))})`)
  return { counts: { ...parseRowCounts(output), largeObjects: Number(largeObjects) }, marker: JSON.parse(field('marker') ?? '""') as string, relations: Number(relations) }
}

/** Sets the database's comment: the marker that says this action put (or is putting) the data there. */
function markerScript(marker: string): string {
  return `DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), '${marker}'); END $$;\n`
}

function psqlInPod(config: MigrateConfig): string[] {
  const db = config.database as NonNullable<MigrateConfig['database']>
  return ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', db.user, '-d', db.name]
}

async function sourceCounts(config: MigrateConfig, kubectl: Kubectl, signal?: AbortSignal): Promise<DatabaseCounts> {
  const db = config.database as NonNullable<MigrateConfig['database']>
  const out = await kubectl.execOk(db, psqlInPod(config), { stdin: databaseStateScript(), timeoutMs: config.timeoutMs, ...(signal ? { signal } : {}) })
  return parseDatabaseState(out).counts
}

async function observeDatabase(config: MigrateConfig, pod: PodReads, dokku: DokkuClient): Promise<Observed['database']> {
  const db = config.database as NonNullable<MigrateConfig['database']>
  const [source, exists, read] = await Promise.all([
    pod.counts as Promise<DatabaseCounts>,
    dokku.postgres.exists(db.service),
    // Asked beside `exists`, a round trip sooner: when the service is absent its failure means nothing.
    dokku.postgres.connect(db.service, databaseStateScript(), { timeoutMs: config.timeoutMs }).then(
      (output) => ({ output }),
      (error: unknown) => ({ error })
    )
  ])
  if (!exists) return { source, target: { exists, relations: 0, marker: '', counts: undefined } }
  if ('error' in read) throw read.error
  const state = parseDatabaseState(read.output)
  return { source, target: { exists, relations: state.relations, marker: state.marker, counts: state.counts } }
}

async function podInventory(config: MigrateConfig, kubectl: Kubectl, signal?: AbortSignal, options: { checksums?: boolean } = {}): Promise<Map<string, FileEntry>> {
  const uploads = config.uploads as NonNullable<MigrateConfig['uploads']>
  return parseInventory(await kubectl.execOk(uploads, inventoryCommand(uploads.path, options), { timeoutMs: config.timeoutMs, ...(signal ? { signal } : {}) }), options)
}

async function storageInventory(config: MigrateConfig, dokku: DokkuClient, storage: string): Promise<Map<string, FileEntry>> {
  const result = await dokku.storage.exec(storage, inventoryCommand(STORAGE_EXEC_ROOT), { timeoutMs: config.timeoutMs })
  if (result.exitCode !== 0) throw new Error(`Listing the files of storage ${storage} failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-500)}`)
  return parseInventory(result.stdout)
}

/** Where the uploads go, in words: "storage uro-uploads" or "bucket s3://uploads/prefix/". */
export function uploadsTargetName(target: UploadsTarget): string {
  return target.kind === 'storage' ? `storage ${target.storage}` : `bucket s3://${target.s3.bucket}/${target.prefix}`
}

async function observeUploads(config: MigrateConfig, pod: PodReads, dokku: DokkuClient, app: Promise<boolean>, store: ObjectStore | undefined): Promise<Observed['uploads']> {
  const uploads = config.uploads as NonNullable<MigrateConfig['uploads']>
  const target = uploads.target
  if (target.kind === 'bucket') {
    const bucketStore = store as ObjectStore
    // The bucket is checked while the pod lists its files: a missing bucket fails before any read.
    await bucketStore.checkBucket('uploads')
    const objects = bucketStore.list(target.prefix)
    const empty = (await objects.next()).done === true
    await objects.return(undefined)
    const source = await (empty ? (pod.listing as Promise<Map<string, FileEntry>>) : pod.inventory())
    const bucket = empty ? { objects: new Map(), files: new Map() } : await observeBucket(bucketStore, target.prefix, source, { concurrency: config.concurrency })
    const extra = extraObjects(bucket, target.prefix, source).map((key): FileEntry => ({ path: key.slice(target.prefix.length), size: bucket.objects.get(key)?.size ?? 0, sha256: '' }))
    return { source, target: new Map([...bucket.files, ...extra.map((f) => [f.path, f] as const)]), bucket }
  }
  const entries = await dokku.storage.entries()
  const entry = entries.get(target.storage)
  if (entry && entry.scheduler !== 'docker-local')
    throw new MigrationRefusedError(`Storage entry ${target.storage} belongs to the ${entry.scheduler} scheduler; this action fills docker-local entries (a host directory). Name another entry in uploads-storage.`)
  const [source, files, mounts] = await Promise.all([
    entry ? pod.inventory() : (pod.listing as Promise<Map<string, FileEntry>>),
    entry ? storageInventory(config, dokku, target.storage) : new Map<string, FileEntry>(),
    app.then((exists) => (exists ? dokku.storage.list(config.app) : []))
  ])
  const mounted = mounts.some((m) => (m.entryName === target.storage || m.hostPath === entry?.hostPath) && m.containerPath === uploads.path)
  return { source, target: files, storage: { entryExists: entry !== undefined, mounted } }
}

// ---- plan -------------------------------------------------------------------------------

function sumRows(counts: RowCounts): number {
  return counts.tables.reduce((n, t) => n + t.rows, 0)
}

function sameCounts(a: DatabaseCounts, b: DatabaseCounts): boolean {
  return countDifferences(a, b, '', '').length === 0
}

/** One line per table (and for the large objects) whose count differs between `a` and `b`, in this section's words. */
export function countDifferences(a: DatabaseCounts, b: DatabaseCounts, inA: string, inB: string): string[] {
  const name = (t: TableCount) => `${t.schema}.${t.name}`
  const other = new Map(b.tables.map((t) => [name(t), t.rows]))
  const lines: string[] = []
  for (const table of a.tables) {
    const rows = other.get(name(table))
    if (rows === undefined) lines.push(`${name(table)}: ${table.rows} rows ${inA}, absent ${inB}`)
    else if (rows !== table.rows) lines.push(`${name(table)}: ${table.rows} rows ${inA}, ${rows} ${inB}`)
  }
  const known = new Set(a.tables.map(name))
  for (const table of b.tables) if (!known.has(name(table))) lines.push(`${name(table)}: absent ${inA}, ${table.rows} rows ${inB}`)
  if (a.largeObjects !== b.largeObjects) lines.push(`large objects: ${a.largeObjects} ${inA}, ${b.largeObjects} ${inB}`)
  return lines
}

/** Pure: what to do, with a reason for each step, from what was observed. */
export function planMigration(config: MigrateConfig, observed: Observed): Plan {
  const steps: Step[] = []
  const notes: string[] = []
  const intoStorage = config.uploads?.target.kind === 'storage'
  if (!observed.appExists && (config.secret || intoStorage)) steps.push({ kind: 'create-app', reason: `app ${config.app} does not exist; its ${config.secret ? 'config' : 'storage'} needs it` })

  const secretPlan = observed.secret?.plan
  if (secretPlan && config.secret) {
    const keys = Object.keys(secretPlan.encoded)
    const plainKeys = Object.keys(secretPlan.plain)
    if (keys.length + plainKeys.length > 0)
      steps.push({ kind: 'set-config', keys, plainKeys, reason: `Secret ${config.secret.name} maps to ${[...keys, ...plainKeys].join(', ')}, which ${config.app} does not hold yet (no restart)` })
    if (secretPlan.unchanged.length > 0) notes.push(`config: ${secretPlan.unchanged.join(', ')} already hold the Secret's values`)
    if (secretPlan.unmapped.length > 0) notes.push(`config: Secret keys not copied (no mapping): ${secretPlan.unmapped.join(', ')}`)
    if (secretPlan.absent.length > 0) notes.push(`config: the Secret has no ${secretPlan.absent.join(', ')}`)
  }

  const database = observed.database
  if (database && config.database) {
    const { source, target } = database
    const service = config.database.service
    const copy = (reason: string): void => {
      steps.push({ kind: 'copy-database', service, tables: source.tables.length, rows: sumRows(source), largeObjects: source.largeObjects, reason })
    }
    if (!target.exists) {
      steps.push({ kind: 'create-service', service, reason: `postgres service ${service} does not exist` })
      copy(`${service} is new`)
    } else if (target.marker === MARKER.complete && target.counts && sameCounts(source, target.counts)) {
      notes.push(`database: ${service} already holds the copy (${source.tables.length} tables, ${sumRows(source)} rows, same counts as the source)`)
    } else if (target.marker === MARKER.copying) {
      copy(`an earlier copy into ${service} did not finish; it is replaced (pg_restore --clean)`)
    } else if (target.marker === MARKER.complete) {
      copy(`the source changed since ${service} was copied; it is copied again (pg_restore --clean)`)
    } else if (target.relations === 0) {
      copy(`${service} is empty`)
    } else if (config.overwrite) {
      copy(`${service} holds ${target.relations} relations this action did not put there; overwrite: true replaces them`)
    } else {
      throw new MigrationRefusedError(
        `postgres:${service} already holds ${target.relations} relations that this action did not copy there; copying would replace them. Name a new service in database-service, or set overwrite: true.`
      )
    }
  }

  const uploads = observed.uploads
  if (uploads && config.uploads) {
    const { target, path } = config.uploads
    const into = uploadsTargetName(target)
    if (target.kind === 'storage' && !uploads.storage?.mounted) {
      const storage = target.storage
      steps.push({ kind: 'mount-storage', storage, path, reason: uploads.storage?.entryExists ? `storage ${storage} is not mounted at ${path} in ${config.app}` : `storage ${storage} does not exist yet` })
    }
    const diff = diffInventories(uploads.source, uploads.target)
    const files = [...diff.missing, ...diff.different]
    const unit = target.kind === 'bucket' ? 'object(s)' : 'file(s)'
    if (files.length > 0)
      steps.push({
        kind: 'copy-uploads',
        into,
        files,
        everything: uploads.target.size === 0,
        reason: `${diff.missing.length} ${unit} missing${diff.different.length > 0 ? ` and ${diff.different.length} different` : ''} in ${into}${diff.same.length > 0 ? `; ${diff.same.length} already there with the same SHA-256 are skipped` : ''}`
      })
    else notes.push(`uploads: ${into} already holds all ${uploads.source.size} files with the same SHA-256`)
    if (diff.extra.length > 0) notes.push(`uploads: ${diff.extra.length} ${unit} in ${into} are not in the pod; left in place`)
  }
  return { steps, notes }
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'create-app':
      return `create app — ${step.reason}`
    case 'set-config':
      return `set config ${[...step.keys, ...step.plainKeys].join(', ')} — ${step.reason}`
    case 'create-service':
      return `create postgres service ${step.service} — ${step.reason}`
    case 'copy-database':
      return `copy the database into ${step.service}: ${step.tables} tables, ${step.rows} rows, ${step.largeObjects} large objects — ${step.reason}`
    case 'mount-storage':
      return `create and mount storage ${step.storage} at ${step.path} — ${step.reason}`
    case 'copy-uploads':
      return `copy ${step.files.length} file(s), ${formatBytes(totalBytes(step.files))}, into ${step.into} — ${step.reason}`
  }
}

function printPlan(plan: Plan, logger: Logger, dryRun: boolean): void {
  if (plan.steps.length === 0) logger.info('Plan: nothing to do; the host already holds what the cluster has.')
  else {
    logger.info(`Plan (${plan.steps.length} step(s))${dryRun ? ', dry run: nothing will be changed' : ''}:`)
    plan.steps.forEach((step, i) => logger.info(`  ${i + 1}. ${describeStep(step)}`))
  }
  for (const note of plan.notes) logger.info(`  · ${note}`)
}

/** What the dry run reports, and the starting point of the real run's report. */
function describeObserved(config: MigrateConfig, observed: Observed, report: MigrateReport): void {
  const verb = config.dryRun ? 'would ' : ''
  if (observed.secret) {
    const plan = observed.secret.plan
    const set = [...Object.keys(plan.encoded), ...Object.keys(plan.plain)]
    report.secret = { outcome: set.length > 0 ? `${verb}set` : 'up to date', detail: set.length > 0 ? `${set.join(', ')}` : 'every mapped key already set', set, unchanged: plan.unchanged, unmapped: plan.unmapped }
  }
  if (observed.database) {
    const { source } = observed.database
    const step = report.plan.steps.find((s) => s.kind === 'copy-database')
    report.database = {
      outcome: step ? `${verb}copy` : 'up to date',
      detail: `${source.tables.length} tables, ${sumRows(source)} rows, ${source.largeObjects} large objects in the source`,
      tables: source.tables,
      largeObjects: source.largeObjects
    }
  }
  if (observed.uploads) {
    const step = report.plan.steps.find((s) => s.kind === 'copy-uploads')
    const files = step?.kind === 'copy-uploads' ? step.files : []
    report.uploads = {
      outcome: files.length > 0 ? `${verb}copy` : 'up to date',
      detail: `${observed.uploads.source.size} files, ${formatBytes(totalBytes(observed.uploads.source.values()))} in the pod; ${files.length} to copy`,
      files: observed.uploads.source.size,
      bytes: totalBytes(observed.uploads.source.values()),
      copied: 0,
      copiedBytes: 0
    }
  }
}

// ---- apply ------------------------------------------------------------------------------

/** The systems a migration talks to: the cluster, the Dokku host and (uploads into a bucket) the S3 store. */
interface Sides {
  kubectl: Kubectl
  dokku: DokkuClient
  store: ObjectStore | undefined
}

async function apply(config: MigrateConfig, plan: Plan, observed: Observed, sides: Sides, logger: Logger, report: MigrateReport, options: MigrateOptions): Promise<void> {
  const { kubectl, dokku } = sides
  // Steps whose result no later step needs run beside those after them, and are awaited at the end.
  const meanwhile: Promise<unknown>[] = []
  // Housekeeping beside the steps, whether or not anything is left to copy: a killed run's
  // multipart uploads are aborted once they are old enough to be no live run's (the copy's own
  // uploads are new, so the sweep never takes them).
  const target = config.uploads?.target
  if (sides.store && target?.kind === 'bucket' && observed.uploads) meanwhile.push(abortAbandonedUploads(sides.store, target.prefix, observed.uploads.source, options.now?.() ?? new Date(), logger))
  /** Settles once the app exists: what names the app waits for it, what does not (a service, a storage entry, the copies) goes ahead. */
  let appCreated: Promise<unknown> = Promise.resolve()
  let stepFailed: { error: unknown } | undefined
  try {
    for (const step of plan.steps) await applyStep(step)
  } catch (error) {
    stepFailed = { error }
  }
  // Awaited whatever happened to the steps (the connection closes after apply); a step's error comes first.
  const beside = await Promise.allSettled(meanwhile)
  if (stepFailed) throw stepFailed.error
  for (const result of beside) if (result.status === 'rejected') throw result.reason

  async function applyStep(step: Step): Promise<void> {
    switch (step.kind) {
      case 'create-app':
        // Observed absent: created without asking again (a concurrent creation is `unchanged`).
        appCreated = dokku.apps.create(config.app)
        appCreated.catch(() => undefined)
        meanwhile.push(appCreated)
        report.changed = true
        break
      case 'set-config': {
        await appCreated
        const secretPlan = (observed.secret as NonNullable<Observed['secret']>).plan
        await dokku.config.setEncoded(config.app, secretPlan.encoded)
        if (step.plainKeys.length > 0) await dokku.config.set(config.app, secretPlan.plain)
        report.changed = true
        if (report.secret) report.secret = { ...report.secret, outcome: 'set', detail: `${[...step.keys, ...step.plainKeys].join(', ')} (no restart: the deploy starts the app with them)` }
        break
      }
      case 'create-service':
        await dokku.postgres.create(step.service)
        report.changed = true
        break
      case 'copy-database':
        await guard(report, 'database', logger, () => copyDatabase(config, observed, kubectl, dokku, logger, report, options))
        break
      case 'mount-storage': {
        // The copy needs the entry, not the app nor the mount (a deploy-time setting): those are made
        // while the files stream. Observe listed the entries and the app's mounts: neither is read again.
        if (!(observed.uploads as NonNullable<Observed['uploads']>).storage?.entryExists) await dokku.storage.ensureDirectory(step.storage)
        report.changed = true
        const mounting = appCreated.then(() => dokku.storage.mount(config.app, step.storage, step.path))
        mounting.catch(() => undefined)
        meanwhile.push(mounting)
        break
      }
      case 'copy-uploads':
        await guard(report, 'uploads', logger, () =>
          config.uploads?.target.kind === 'bucket' ? copyUploadsToBucket(config, step, observed, kubectl, sides.store as ObjectStore, logger, report, options) : copyUploads(config, step, observed, kubectl, dokku, logger, report, options)
        )
        break
    }
  }
}

/** A failed copy fails its section (and the run), not the steps after it. */
async function guard(report: MigrateReport, section: 'database' | 'uploads', logger: Logger, fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (error) {
    logger.warning(`${section}: ${errorMessage(error)}`)
    const base = report[section] as SectionResult
    Object.assign(base, { outcome: 'failed', detail: errorMessage(error), failed: true })
  }
}

async function copyDatabase(config: MigrateConfig, observed: Observed, kubectl: Kubectl, dokku: DokkuClient, logger: Logger, report: MigrateReport, options: MigrateOptions): Promise<void> {
  const db = config.database as NonNullable<MigrateConfig['database']>
  const before = (observed.database as NonNullable<Observed['database']>).source
  // Custom format: what postgres:import (pg_restore --clean --if-exists) takes; large objects included.
  // -Z1: compressing at pg_dump's default level is the slowest stage of the whole chain (95 MiB of
  // random and text data: 4.9 s at the default, 1.8 s at level 1, for a stream 2.6 % larger;
  // BENCHMARKS.md), and it runs on the pod's CPU. Every pg_dump since 8.x takes it.
  const dump = ['pg_dump', '-Fc', '-Z1', '--no-owner', '--no-acl', '-U', db.user, '-d', db.name]
  const stream = new CountingStream()
  const progress = new Progress(`database ${db.name} → ${db.service}`, (line) => logger.info(line), options.progressIntervalMs)
  progress.start(() => stream.bytes, () => stream.bytes)
  try {
    await logger.group(`Copying database ${db.name} into postgres:${db.service}`, async () => {
      // The dump starts (kubectl exec, pg_dump's snapshot) while the target is marked; it waits in
      // the stream's buffer, since nothing reaches the target before the marker says "copying".
      const dumping = kubectl.execTo(db, dump, stream, { timeoutMs: config.timeoutMs })
      dumping.catch(() => undefined)
      try {
        await dokku.postgres.connect(db.service, markerScript(MARKER.copying))
      } catch (error) {
        stream.destroy(error as Error)
        await dumping.catch(() => undefined)
        throw error
      }
      report.changed = true
      await Promise.all([dumping, consumeAllowingEarlyEnd(stream, (input) => dokku.postgres.import(db.service, input, { timeoutMs: config.timeoutMs }))])
    })
  } finally {
    progress.stop()
  }
  const [target, after] = await Promise.all([
    dokku.postgres.connect(db.service, databaseStateScript(), { timeoutMs: config.timeoutMs }).then((out) => parseDatabaseState(out).counts),
    sourceCounts(config, kubectl)
  ])
  const differences = countDifferences(before, target, 'in the source', 'in the target')
  const changed = countDifferences(before, after, 'before the copy', 'after it')
  const rows = sumRows(target)
  const section = report.database as NonNullable<MigrateReport['database']>
  if (changed.length > 0) {
    Object.assign(section, {
      outcome: 'source changed',
      failed: true,
      detail: `the source database changed while it was copied (${changed.slice(0, 10).join('; ')}); stop the writers (scale the app to 0) and run again`
    })
    return
  }
  if (differences.length > 0) {
    Object.assign(section, { outcome: 'mismatch', failed: true, detail: `row counts differ after the copy: ${differences.slice(0, 20).join('; ')}` })
    return
  }
  await dokku.postgres.connect(db.service, markerScript(MARKER.complete))
  Object.assign(section, { outcome: 'copied', detail: `${formatBytes(stream.bytes)} dump; ${target.tables.length} tables, ${rows} rows, ${target.largeObjects} large objects: counts match the source` })
}

async function copyUploads(
  config: MigrateConfig,
  step: Extract<Step, { kind: 'copy-uploads' }>,
  observed: Observed,
  kubectl: Kubectl,
  dokku: DokkuClient,
  logger: Logger,
  report: MigrateReport,
  options: MigrateOptions
): Promise<void> {
  const uploads = config.uploads as NonNullable<MigrateConfig['uploads']>
  const storage = (uploads.target as Extract<UploadsTarget, { kind: 'storage' }>).storage
  const before = (observed.uploads as NonNullable<Observed['uploads']>).source
  // An empty target gets the whole tree in one stream; otherwise only the files it lacks, named
  // one per argument (kubectl passes argv to the container runtime intact: no quoting, any name).
  const batches = step.everything ? [['.']] : batchPaths(step.files.map((f) => `./${f.path}`))
  const counter = new Progress(`uploads → storage ${storage}`, (line) => logger.info(line), options.progressIntervalMs)
  let moved = 0
  const streams: CountingStream[] = []
  counter.start(() => moved + streams.reduce((n, s) => n + s.bytes, 0), () => moved + streams.reduce((n, s) => n + s.bytes, 0))
  // Both lists after the copy start as soon as their side is done with it: the pod's once its last
  // tar has exited (while the host still extracts), the entry's in the last extraction's container.
  let podListed: Promise<Map<string, FileEntry>> | undefined
  let targetListed = ''
  try {
    await logger.group(`Copying ${step.files.length} file(s) into storage ${storage}`, async () => {
      for (const [i, batch] of batches.entries()) {
        const last = i === batches.length - 1
        const stream = new CountingStream()
        streams.push(stream)
        const [, extract] = await Promise.all([
          kubectl.execTo(uploads, ['tar', '-c', '-f', '-', '-C', uploads.path, ...batch], stream, { timeoutMs: config.timeoutMs }).then(() => {
            if (!last) return
            podListed = podInventory(config, kubectl)
            podListed.catch(() => undefined)
          }),
          dokku.storage.exec(storage, last ? EXTRACT_THEN_LIST_COMMAND : EXTRACT_COMMAND, { stdin: stream, timeoutMs: config.timeoutMs })
        ])
        if (extract.exitCode !== 0) throw new Error(`tar in storage ${storage} (or the list of its files after it) exited ${extract.exitCode}: ${extract.stderr.trim().slice(-500)}`)
        if (last) targetListed = extract.stdout
      }
    })
  } finally {
    counter.stop()
  }
  moved = streams.reduce((n, s) => n + s.bytes, 0)
  report.changed = true
  const target = parseInventory(targetListed)
  const after = await (podListed as Promise<Map<string, FileEntry>>)
  const section = report.uploads as NonNullable<MigrateReport['uploads']>
  section.copied = step.files.length
  section.copiedBytes = totalBytes(step.files)
  const failure = checkCopiedUploads(uploads.path, before, after, target, 'files')
  if (failure) return void Object.assign(section, failure)
  Object.assign(section, {
    outcome: 'copied',
    detail: `${step.files.length} file(s), ${formatBytes(section.copiedBytes)} copied (${formatBytes(moved)} tar stream); all ${before.size} files in storage ${storage} match the pod's SHA-256`
  })
}

/**
 * The verdict on a copy of the uploads, or undefined when it is whole: the pod's tree must not have
 * changed between `before` (observe's) and `after` (hashed once the copy ended), and every file of
 * the pod after the copy must be in `copied` (read back from the destination) with its size and
 * SHA-256. `after` is the reference: it equals `before` when nothing changed, and it has the only
 * checksums when observe listed names and sizes alone (a destination with nothing there yet).
 */
export function checkCopiedUploads(
  path: string,
  before: ReadonlyMap<string, FileEntry>,
  after: ReadonlyMap<string, FileEntry>,
  copied: ReadonlyMap<string, FileEntry>,
  unit: 'files' | 'objects'
): Pick<SectionResult, 'outcome' | 'detail' | 'failed'> | undefined {
  const change = describeChange(before, after)
  if (change !== undefined) return { outcome: 'source changed', failed: true, detail: `the pod's ${path} changed while it was copied (${change}); stop the writers and run again: ${unit} already copied are skipped` }
  const diff = diffInventories(after, copied)
  if (diff.missing.length + diff.different.length === 0) return undefined
  const bad = [...diff.missing.map((f) => `${JSON.stringify(f.path)} missing`), ...diff.different.map((f) => `${JSON.stringify(f.path)} differs`)]
  // Without checksums from before the copy, a file rewritten at the same size while it was copied
  // shows only here: the hint names that cause beside a damaged copy.
  const hint = hasChecksums(before) ? '' : ` (compared with the pod's files as they are after the copy: if the app still writes to ${path}, stop it and run again)`
  return { outcome: 'mismatch', failed: true, detail: `after the copy: ${bad.slice(0, 20).join('; ')}${bad.length > 20 ? ` and ${bad.length - 20} more` : ''}${hint}` }
}

/**
 * The pod's files into the bucket (migrate-bucket.ts): `tar` in the pod, parsed on the runner,
 * one object a file. Then the proof: every file of the pod has an object of the same size and
 * SHA-256 (the objects written now are read back; the others were read back by observe and are
 * trusted only while their ETag is unchanged), and the pod's tree did not change meanwhile.
 */
async function copyUploadsToBucket(
  config: MigrateConfig,
  step: Extract<Step, { kind: 'copy-uploads' }>,
  observed: Observed,
  kubectl: Kubectl,
  store: ObjectStore,
  logger: Logger,
  report: MigrateReport,
  options: MigrateOptions
): Promise<void> {
  const uploads = config.uploads as NonNullable<MigrateConfig['uploads']>
  const target = uploads.target as Extract<UploadsTarget, { kind: 'bucket' }>
  const seen = observed.uploads as NonNullable<Observed['uploads']>
  const before = seen.source
  const batches = step.everything ? [['.']] : batchPaths(step.files.map((f) => `./${f.path}`))
  const wanted = new Set(step.files.map((f) => f.path))
  const writers: BucketWriter[] = []
  const counter = new Progress(`uploads → ${step.into}`, (line) => logger.info(line), options.progressIntervalMs)
  counter.start(
    () => writers.reduce((n, w) => n + w.bytesRead, 0),
    () => writers.reduce((n, w) => n + w.bytes, 0)
  )
  try {
    await logger.group(`Copying ${step.files.length} file(s) into ${step.into}`, async () => {
      for (const batch of batches) {
        const writer = new BucketWriter(store, target.prefix, wanted, { concurrency: config.concurrency, ...(options.partSize ? { partSize: options.partSize } : {}) })
        writers.push(writer)
        try {
          await kubectl.execTo(uploads, ['tar', '-c', '-f', '-', '-C', uploads.path, ...batch], writer, { timeoutMs: config.timeoutMs })
        } finally {
          // Puts still in flight when the stream failed end before the error is reported.
          await writer.settle().catch(() => undefined)
        }
      }
    })
  } finally {
    counter.stop()
  }
  report.changed = true
  const copied = new Map(writers.flatMap((w) => [...w.copied]))
  // Known: what observe read back and is unchanged (same ETag); what was written now is read back again.
  const known = new Map<string, CopiedObject>()
  for (const [path, file] of seen.target) {
    const object = seen.bucket?.objects.get(objectKey(target.prefix, path))
    if (object && file.sha256 !== '' && !copied.has(path)) known.set(path, { ...file, etag: object.etag })
  }
  const [after, state] = await Promise.all([podInventory(config, kubectl), observeBucket(store, target.prefix, before, { concurrency: config.concurrency, known })])
  const section = report.uploads as NonNullable<MigrateReport['uploads']>
  section.copied = copied.size
  section.copiedBytes = totalBytes(copied.values())
  const failure = checkCopiedUploads(uploads.path, before, after, state.files, 'objects')
  if (failure) return void Object.assign(section, failure)
  const extra = extraObjects(state, target.prefix, before).length
  Object.assign(section, {
    outcome: 'copied',
    detail:
      `${copied.size} file(s), ${formatBytes(section.copiedBytes)} copied; all ${before.size} files in ${step.into} match the pod's SHA-256 (read back)` +
      `; ${state.objects.size} object(s) under the prefix${extra > 0 ? `, ${extra} of them not in the pod (left in place)` : ''}`
  })
}

/**
 * Aborts the multipart uploads of the pod's files that a killed run left (abandoned-uploads.ts
 * says when an upload is taken for a dead run's). Housekeeping: never fails the copy.
 */
async function abortAbandonedUploads(store: ObjectStore, prefix: string, files: ReadonlyMap<string, FileEntry>, now: Date, logger: Logger): Promise<void> {
  const sweep = await sweepAbandonedUploads(store, prefix, { now, dryRun: false, owns: (key) => key.startsWith(prefix) && files.has(key.slice(prefix.length)) })
  for (const upload of sweep.abandoned) logger.info(`aborted the multipart upload of ${upload.key} left by a run that ended before completing it (nothing written to it since ${upload.lastActivity?.toISOString() ?? '?'})`)
  if (sweep.problem) logger.warning(`Could not look for multipart uploads left by earlier runs (parts may be left on the server): ${sweep.problem}`)
}
