import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sweepAbandonedUploads } from '../../core/backup/abandoned-uploads.js'
import { checkRdbHeader, parseRedisInfo, REDIS_INFO_SCRIPT, REDIS_PERSISTENCE_SCRIPT, snapshotFailure } from '../../core/backup/databases.js'
import { backupId, dataKey, newBackupStart, sourceLabel, sourcePrefix, type SourceRef } from '../../core/backup/keys.js'
import type { Manifest } from '../../core/backup/manifest.js'
import { formatBytes, Progress, storeStream, type StoredObject } from '../../core/backup/pipeline.js'
import { PgArchiveInspector } from '../../core/backup/pg-archive.js'
import { compressionSuffix, HeaderPeek } from '../../core/backup/streams.js'
import type { ServicePlugins } from '../../core/dokku/client.js'
import { errorMessage } from '../../core/errors.js'
import { mirrorBucket } from './bucket.js'
import { useSeaweedSource } from './seaweed.js'
import { cockroachUnsupported } from './cockroach.js'
import { encryptionSuffix, manifestHead, objectEntry, runnerTools, writeManifest } from './manifests.js'
import type { Runtime, TaskResult } from './runtime.js'

/** redis:export polls LASTSAVE and can wait forever (docs/dokku-contract.md#service-export-import): never longer than this. */
export const REDIS_EXPORT_LIMIT_MS = 30 * 60_000
/** How often the snapshot behind a redis:export is looked at (dokku-redis polls LASTSAVE as often). */
export const REDIS_SNAPSHOT_POLL_MS = 5_000

export async function runBackups(rt: Runtime): Promise<TaskResult[]> {
  await abortAbandonedUploads(rt)
  const results: TaskResult[] = []
  for (const source of rt.config.sources) {
    const label = sourceLabel(source)
    if (rt.config.dryRun) {
      if (source.kind === 'cockroach') {
        results.push({ source: label, outcome: 'would fail', detail: 'CockroachDB is not backed up by backup-run (a real run says why and what to do instead)' })
        continue
      }
      results.push({ source: label, outcome: 'would back up', detail: `into s3://${rt.config.destination.bucket}/${sourcePrefix(rt.config.prefix, source)}<time>/` })
      continue
    }
    const started = Date.now()
    try {
      const result = await rt.logger.group(`Backing up ${label}`, () => backupOne(rt, source))
      results.push({ ...result, durationMs: Date.now() - started })
    } catch (error) {
      rt.logger.warning(`Backup of ${label} failed: ${errorMessage(error)}`)
      results.push({ source: label, outcome: 'failed', detail: errorMessage(error), failed: true, durationMs: Date.now() - started })
    }
  }
  return results
}

/**
 * Aborts the multipart uploads a killed run left under the prefix (abandoned-uploads.ts says which
 * are a dead run's), before this run starts its own. Never fails the run: it is housekeeping.
 */
async function abortAbandonedUploads(rt: Runtime): Promise<void> {
  const sweep = await sweepAbandonedUploads(rt.store, rt.config.prefix, { now: rt.now(), dryRun: rt.config.dryRun })
  const verb = rt.config.dryRun ? 'would abort' : 'aborted'
  for (const upload of sweep.abandoned)
    rt.logger.info(`${verb} the multipart upload of ${upload.key} left by a run that ended before completing it (nothing written to it since ${upload.lastActivity?.toISOString() ?? '?'})`)
  if (sweep.live > 0) rt.logger.info(`${sweep.live} multipart upload(s) under the prefix are still being written (another run): left alone`)
  if (sweep.problem) rt.logger.warning(`Could not look for multipart uploads left by earlier runs (parts may be left on the server): ${sweep.problem}`)
}

async function backupOne(rt: Runtime, source: SourceRef): Promise<TaskResult> {
  switch (source.kind) {
    case 'postgres':
      return backupPostgres(rt, source)
    case 'redis':
      return backupRedis(rt, source)
    case 'config':
      return backupConfig(rt, source)
    case 'bucket': {
      const store = rt.config.seaweedSources.get(source.name)
      if (store !== undefined) await useSeaweedSource(rt, source.name, store)
      return mirrorBucket(rt, source)
    }
    case 'cockroach':
      throw cockroachUnsupported(source.name)
  }
}

/** What every manifest records about the tools that made it. */
async function toolVersions(rt: Runtime, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const dokku = await rt.dokku().catch(() => undefined)
  return { ...runnerTools(), ...(dokku ? { dokku: dokku.version.raw } : {}), ...extra }
}

function progressFor(rt: Runtime, label: string): Progress {
  return new Progress(label, (line) => rt.logger.info(line), rt.options.progressIntervalMs)
}

function done(label: string, id: string, stored: StoredObject, detail: string): TaskResult {
  // Tiny inputs (an app's config) grow by age's header: "3000% of 80 B" says nothing useful.
  const ratio =
    stored.plaintextBytes === 0
      ? ''
      : stored.storedBytes < stored.plaintextBytes
        ? ` (${((stored.storedBytes / stored.plaintextBytes) * 100).toFixed(0)}% of ${formatBytes(stored.plaintextBytes)})`
        : ` (from ${formatBytes(stored.plaintextBytes)})`
  return {
    source: label,
    id,
    outcome: 'backed up',
    detail: `${formatBytes(stored.storedBytes)} stored${ratio}${detail ? `; ${detail}` : ''}`,
    storedBytes: stored.storedBytes,
    plaintextBytes: stored.plaintextBytes,
    key: stored.key
  }
}

/**
 * Runs a transfer from the host while `dokku version` answers beside it: the transfer starts one
 * round trip sooner, and still completes only on a host known to be supported (the version also
 * goes into the manifest). Both settle before this does, so no command is left running.
 */
async function besideVersionCheck(rt: Runtime, transfer: Promise<void>): Promise<void> {
  const [transferred, known] = await Promise.allSettled([transfer, rt.dokku()])
  if (transferred.status === 'rejected') throw transferred.reason
  if (known.status === 'rejected') throw known.reason
}

async function backupPostgres(rt: Runtime, source: SourceRef): Promise<TaskResult> {
  const services = await rt.services()
  const label = sourceLabel(source)
  // No postgres:exists first: a missing service fails the export at once with "does not exist",
  // and one command less is one round trip less before the dump starts.
  const startedAt = newBackupStart(source, rt.now())
  const id = backupId(startedAt)
  const key = dataKey(rt.config.prefix, source, id, `${source.name}.dump${compressionSuffix(rt.config.compression)}${encryptionSuffix(rt)}`)
  rt.logger.info(`${label} → s3://${rt.config.destination.bucket}/${key}`)

  // The archive is read as it passes: its header is checked before anything is stored, and the
  // rows of every table are counted from the data itself (pg_dump's snapshot, no second read).
  const archive = new PgArchiveInspector({ countRows: rt.config.rowCounts })
  const transferStarted = Date.now()
  const stored = await storeStream(
    (sink: Writable) => besideVersionCheck(rt, services.postgres.export(source.name, sink, { timeoutMs: rt.config.timeoutMs })),
    rt.storing(key, { inspect: [archive], progress: progressFor(rt, label) })
  )
  const transferMs = Date.now() - transferStarted
  const counts = archive.rowCounts
  if (!counts.counted && rt.config.rowCounts) rt.logger.warning(`${label}: this backup has no row counts to check a restore against: ${counts.reason}`)
  const header = archive.header
  const manifest: Manifest = {
    ...manifestHead(rt, source, id, startedAt),
    object: objectEntry(stored, 'pg_dump-custom', rt.config.compression, rt),
    database: {
      ...(header?.serverVersion ? { serverVersion: header.serverVersion } : {}),
      ...(counts.counted ? { tables: counts.tables } : {}),
      ...(header ? { dump: { ...header } } : {})
    },
    tools: await toolVersions(rt, header ? { pg_dump: header.pgDumpVersion } : {}),
    timings: { transferMs }
  }
  const manifestAt = await writeManifest(rt, manifest)
  rt.logger.info(`${label}: manifest ${manifestAt} written; the backup is complete`)
  const rows = counts.counted ? counts.tables.reduce((n, t) => n + t.rows, 0) : undefined
  return done(label, id, stored, counts.counted ? `${counts.tables.length} tables, ${rows} rows` : rt.config.rowCounts ? 'no row counts' : 'row counts off')
}

async function backupRedis(rt: Runtime, source: SourceRef): Promise<TaskResult> {
  const services = await rt.services()
  const label = sourceLabel(source)
  if (!(await services.redis.exists(source.name))) throw new Error(`Redis service ${source.name} does not exist on the host (dokku redis:list shows the services).`)
  const startedAt = newBackupStart(source, rt.now())
  const id = backupId(startedAt)
  const key = dataKey(rt.config.prefix, source, id, `${source.name}.rdb${compressionSuffix(rt.config.compression)}${encryptionSuffix(rt)}`)
  const timeoutMs = Math.min(rt.config.timeoutMs, REDIS_EXPORT_LIMIT_MS)
  const info = parseRedisInfo(await services.redis.connect(source.name, REDIS_INFO_SCRIPT, { timeoutMs: 60_000 }))
  let rdbVersion: string | undefined
  const peek = new HeaderPeek(9, (head) => {
    rdbVersion = checkRdbHeader(head)
  })
  const transferStarted = Date.now()
  const stored = await storeStream(
    (sink) => besideVersionCheck(rt, failOnSnapshotError(services, source.name, services.redis.export(source.name, sink, { timeoutMs }))),
    rt.storing(key, { inspect: [peek], progress: progressFor(rt, label) })
  )
  const manifest: Manifest = {
    ...manifestHead(rt, source, id, startedAt),
    object: objectEntry(stored, 'redis-rdb', rt.config.compression, rt),
    database: { ...(info.version ? { serverVersion: info.version } : {}), keyspace: info.keyspace, ...(rdbVersion ? { dump: { rdbVersion } } : {}) },
    tools: await toolVersions(rt),
    timings: { transferMs: Date.now() - transferStarted }
  }
  await writeManifest(rt, manifest)
  const keys = Object.values(info.keyspace).reduce((a, b) => a + b, 0)
  return done(label, id, stored, `${keys} keys`)
}

/**
 * `exporting`, failed as soon as the server says its snapshot failed: redis:export waits for a
 * BGSAVE that failed (a full disk on the host) until REDIS_EXPORT_LIMIT_MS, half an hour of a job
 * doing nothing. `INFO persistence` is read beside it every REDIS_SNAPSHOT_POLL_MS. The export
 * itself is left to the connection's close at the end of the run.
 */
function failOnSnapshotError(services: ServicePlugins, service: string, exporting: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let over = false
    let timer: NodeJS.Timeout | undefined
    const end = () => {
      over = true
      clearTimeout(timer)
    }
    exporting.then(
      () => {
        end()
        resolve()
      },
      (error: unknown) => {
        end()
        reject(error as Error)
      }
    )
    const look = async (): Promise<void> => {
      const info = await services.redis.connect(service, REDIS_PERSISTENCE_SCRIPT, { timeoutMs: 60_000 }).catch(() => undefined)
      if (over) return
      const failure = info === undefined ? undefined : snapshotFailure(info)
      if (failure) {
        end()
        reject(new Error(`Redis could not write its snapshot (BGSAVE failed, ${failure}), so redis:export would wait for it until its time limit. Is the host's disk full? \`dokku redis:logs ${service}\` shows why.`))
        return
      }
      timer = setTimeout(() => void look(), REDIS_SNAPSHOT_POLL_MS)
      timer.unref()
    }
    timer = setTimeout(() => void look(), REDIS_SNAPSHOT_POLL_MS)
    timer.unref()
  })
}

async function backupConfig(rt: Runtime, source: SourceRef): Promise<TaskResult> {
  if (rt.config.encryption.kind === 'none') throw new Error('App config holds secrets and is always encrypted: set age-recipients or passphrase.')
  const dokku = await rt.dokku()
  const label = sourceLabel(source)
  const startedAt = newBackupStart(source, rt.now())
  const id = backupId(startedAt)
  const key = dataKey(rt.config.prefix, source, id, `${source.name}.config.json${compressionSuffix(rt.config.compression)}.age`)
  const values = await dokku.config.export(source.name)
  const json = Buffer.from(JSON.stringify(values), 'utf8')
  const stored = await storeStream((sink) => pipeline(Readable.from([json]), sink), rt.storing(key))
  const manifest: Manifest = {
    ...manifestHead(rt, source, id, startedAt),
    object: objectEntry(stored, 'dokku-config-json', rt.config.compression, rt),
    config: { keys: Object.keys(values).length },
    tools: await toolVersions(rt),
    timings: {}
  }
  await writeManifest(rt, manifest)
  return done(label, id, stored, `${Object.keys(values).length} keys, encrypted`)
}
