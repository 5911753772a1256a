import { listBackups, pickBackup, readManifest, type CatalogEntry } from '../../core/backup/catalog.js'
import type { Readable } from 'node:stream'
import {
  compareTableCounts,
  parseRedisInfo,
  parseRelationCount,
  parseRowCounts,
  parseServerVersionNum,
  REDIS_INFO_SCRIPT,
  relationCountScript,
  rowCountScript,
  serverVersionScript,
  totalKeys
} from '../../core/backup/databases.js'
import { sourceLabel, type SourceRef } from '../../core/backup/keys.js'
import type { Manifest, StoredObjectEntry } from '../../core/backup/manifest.js'
import { findPgRestore, pgRestoreProblem, singleTransactionScript, type PgRestoreTool, type TargetServer } from '../../core/backup/pg-restore-script.js'
import { fetchStream, formatBytes, Progress } from '../../core/backup/pipeline.js'
import type { DokkuClient } from '../../core/dokku/client.js'
import { errorMessage } from '../../core/errors.js'
import { REDIS_EXPORT_LIMIT_MS } from './backup.js'
import { restoreMirror, verifyMirror } from './bucket.js'
import type { Runtime, TaskResult } from './runtime.js'

export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RestoreRefusedError'
  }
}

export async function runRestores(rt: Runtime): Promise<TaskResult[]> {
  const source = rt.config.sources[0] as SourceRef
  const target = rt.config.target ?? source
  const label = sourceLabel(source)
  const started = Date.now()
  try {
    const entries = await listBackups(rt.store, rt.config.prefix, source)
    const entry = pickBackup(entries, source, rt.config.backupId)
    const manifest = await readManifest(rt.store, entry)
    if (rt.config.dryRun) {
      return [{ source: label, id: entry.id, outcome: 'would restore', detail: `backup ${entry.id} (${formatBytes(entry.storedBytes)} stored) into ${sourceLabel(target)}${rt.config.overwrite ? ', overwriting' : ''}` }]
    }
    const result = await rt.logger.group(`Restoring ${label} ${entry.id} into ${sourceLabel(target)}`, () => restoreInto(rt, entry, manifest, target, { create: true }))
    return [{ ...result, durationMs: Date.now() - started }]
  } catch (error) {
    rt.logger.warning(`Restore of ${label} failed: ${errorMessage(error)}`)
    return [{ source: label, outcome: error instanceof RestoreRefusedError ? 'refused' : 'failed', detail: errorMessage(error), failed: true, durationMs: Date.now() - started }]
  }
}

/**
 * Proves the stored object intact before the target is touched: a first pass reads it from the
 * bucket and checks size and SHA-256 against the manifest (nothing decrypted, nothing kept). Only
 * then does the second pass stream it into the target, checking again as it goes. A corrupt backup
 * is thus refused with the target untouched, before any of its data reaches the target. (The Postgres
 * restore is one transaction besides, committed only once this second pass proved the bytes too.)
 */
export async function checkStoredObject(rt: Runtime, entry: StoredObjectEntry, label: string): Promise<void> {
  await fetchStream(undefined, {
    store: rt.store,
    key: entry.key,
    expected: entry,
    compression: entry.compression,
    encryption: entry.encryption.kind,
    keys: undefined,
    progress: new Progress(`${label}: checking`, (line) => rt.logger.info(line), rt.options.progressIntervalMs)
  })
}

function streamInto(rt: Runtime, entry: StoredObjectEntry, label: string, consume: Parameters<typeof fetchStream>[0]) {
  return fetchStream(consume, {
    store: rt.store,
    key: entry.key,
    expected: entry,
    compression: entry.compression,
    encryption: entry.encryption.kind,
    keys: rt.config.keys,
    progress: new Progress(`${label}: restoring`, (line) => rt.logger.info(line), rt.options.progressIntervalMs)
  })
}

export interface RestoreOptions {
  /** Create the target service when it does not exist (restore into a new, e.g. scratch, service). */
  create: boolean
  /** Differences in row counts fail the restore (drills) instead of being reported. */
  strictCounts?: boolean
}

export async function restoreInto(rt: Runtime, entry: CatalogEntry, manifest: Manifest, target: SourceRef, options: RestoreOptions): Promise<TaskResult> {
  const label = sourceLabel(manifest.source)
  // The same sizes every mode reports for this backup (CatalogEntry.storedBytes), whatever is restored.
  const base = { source: label, id: entry.id, storedBytes: entry.storedBytes, plaintextBytes: manifest.object?.plaintextBytes ?? manifest.bucket?.bytes }
  switch (target.kind) {
    case 'postgres': {
      const object = requireObject(manifest)
      const tool = await findPgRestore()
      const problem = pgRestoreProblem(tool, manifest.database?.dump?.pgDumpVersion)
      const dokku = await rt.dokku()
      const held = await prepareService(rt, dokku, 'postgres', target.name, options, async () => parseRelationCount(await dokku.postgres.connect(target.name, relationCountScript())), 'relations')
      if (problem || !tool) {
        // Data to lose: refused before anything on the host changed (prepareService only read it).
        if (held > 0) throw new RestoreRefusedError(`Cannot restore ${label} ${entry.id} into ${sourceLabel(target)}, which is left untouched: ${problem} Or restore into a new service (target: postgres:${target.name}-restored), which does not need it.`)
        // Nothing to lose (a new or empty service, a drill's scratch service): Dokku's own import, which needs nothing on the runner.
        rt.logger.info(`${problem} ${sourceLabel(target)} holds nothing yet, so the backup goes through dokku postgres:import instead of one transaction.`)
        await checkStoredObject(rt, object, label)
        await streamInto(rt, object, label, (plain) => dokku.postgres.import(target.name, plain, { timeoutMs: rt.config.timeoutMs }))
      } else {
        const server = { versionNum: parseServerVersionNum(await dokku.postgres.connect(target.name, serverVersionScript())) }
        await checkStoredObject(rt, object, label)
        await streamInto(rt, object, label, (plain) => restoreInOneTransaction(rt, dokku, target.name, plain, tool, server))
      }
      const after = parseRowCounts(await dokku.postgres.connect(target.name, rowCountScript(), { timeoutMs: rt.config.timeoutMs }))
      const expected = manifest.database?.tables
      const differences = expected ? compareTableCounts(expected, after.tables) : []
      if (differences.length > 0 && options.strictCounts) throw new Error(`Row counts after restoring into ${sourceLabel(target)} differ from the backup's:\n${differences.join('\n')}`)
      for (const line of differences) rt.logger.warning(`${sourceLabel(target)}: ${line}`)
      const rows = after.tables.reduce((n, t) => n + t.rows, 0)
      return {
        ...base,
        outcome: 'restored',
        detail: `into ${sourceLabel(target)}: ${after.tables.length} tables, ${rows} rows; ${expected ? (differences.length === 0 ? 'row counts match the backup' : `${differences.length} row count difference(s)`) : 'the backup has no row counts'}`,
      }
    }
    case 'redis': {
      const object = requireObject(manifest)
      const dokku = await rt.dokku()
      await prepareService(rt, dokku, 'redis', target.name, options, async () => totalKeys(parseRedisInfo(await dokku.redis.connect(target.name, REDIS_INFO_SCRIPT)).keyspace), 'keys')
      await checkStoredObject(rt, object, label)
      await streamInto(rt, object, label, (plain) => dokku.redis.import(target.name, plain, { timeoutMs: Math.min(rt.config.timeoutMs, REDIS_EXPORT_LIMIT_MS) }))
      const keyspace = parseRedisInfo(await dokku.redis.connect(target.name, REDIS_INFO_SCRIPT)).keyspace
      const expected = manifest.database?.keyspace
      const same = expected === undefined || totalKeys(expected) === totalKeys(keyspace)
      if (!same && options.strictCounts) throw new Error(`${sourceLabel(target)} holds ${totalKeys(keyspace)} keys after the restore; the backup recorded ${totalKeys(expected ?? {})}`)
      return { ...base, outcome: 'restored', detail: `into ${sourceLabel(target)}: ${totalKeys(keyspace)} keys${same ? '' : ` (the backup recorded ${totalKeys(expected ?? {})})`}` }
    }
    case 'config': {
      const object = requireObject(manifest)
      const dokku = await rt.dokku()
      if (!(await dokku.apps.exists(target.name))) throw new RestoreRefusedError(`App ${target.name} does not exist; create it (dokku-deploy) before restoring its config.`)
      await checkStoredObject(rt, object, label)
      const chunks: Buffer[] = []
      await streamInto(rt, object, label, async (plain) => {
        for await (const chunk of plain) chunks.push(chunk as Buffer)
      })
      const values = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>
      const current = await dokku.config.export(target.name)
      const conflicts = Object.keys(values).filter((key) => current[key] !== undefined && current[key] !== values[key])
      if (conflicts.length > 0 && !rt.config.overwrite)
        throw new RestoreRefusedError(
          `App ${target.name} already sets ${conflicts.length} of the backup's keys to other values (${conflicts.slice(0, 10).join(', ')}). Set overwrite: true to replace them.`
        )
      const changed = Object.fromEntries(Object.entries(values).filter(([key, value]) => current[key] !== value))
      if (Object.keys(changed).length > 0) await dokku.config.import(target.name, changed)
      return { ...base, outcome: 'restored', detail: `into config:${target.name}: ${Object.keys(changed).length} of ${Object.keys(values).length} keys set (no restart; run ps:restart when ready)` }
    }
    case 'bucket': {
      const targetStore = rt.sourceStore(target.name)
      await targetStore.checkBucket('target')
      let holds = false
      for await (const _ of targetStore.list('')) {
        holds = true
        break
      }
      if (holds && !rt.config.overwrite) throw new RestoreRefusedError(`Bucket ${target.name} is not empty. Restore into an empty bucket, or set overwrite: true to write over same-named objects.`)
      await verifyMirror(rt, manifest)
      const copied = await restoreMirror(rt, manifest, targetStore)
      return { ...base, outcome: 'restored', detail: `into bucket:${target.name}: ${copied.objects} objects, ${formatBytes(copied.bytes)}` }
    }
    case 'cockroach':
      throw new RestoreRefusedError('cockroach: sources have no backups to restore (see the backup error for what to do instead).')
  }
}

/**
 * The archive as one transaction through `postgres:connect` (pg-restore-script.ts): the target
 * keeps its data until the COMMIT, and the COMMIT is sent only for an archive proven whole.
 */
async function restoreInOneTransaction(rt: Runtime, dokku: DokkuClient, service: string, archive: Readable, tool: PgRestoreTool, server: TargetServer): Promise<void> {
  const restore = singleTransactionScript(archive, tool, server)
  let output: string
  try {
    ;[output] = await Promise.all([dokku.postgres.connect(service, restore.script, { timeoutMs: rt.config.timeoutMs }), restore.converted])
  } catch (error) {
    // What the operator needs first: whether the target changed.
    const state = restore.commitSent()
      ? `the COMMIT had been sent, so check postgres:${service}: it holds either its previous data or the whole backup`
      : `postgres:${service} keeps its previous data (the restore is one transaction, and its COMMIT was never sent)`
    throw new Error(`${errorMessage(error)}; ${state}`, { cause: error })
  } finally {
    restore.stop()
  }
  if (!output.split('\n').some((line) => line.trim() === restore.marker))
    throw new Error(`postgres:connect ${service} ended without committing the restore, so postgres:${service} keeps its previous data (psql printed: ${JSON.stringify(output.slice(-300))})`)
}

function requireObject(manifest: Manifest): StoredObjectEntry {
  if (!manifest.object) throw new Error(`The manifest of ${manifest.id} names no data object`)
  return manifest.object
}

/** Creates a missing target service, or refuses one that holds data unless overwrite is set; what it held (0 for a new one). */
async function prepareService(
  rt: Runtime,
  dokku: DokkuClient,
  plugin: 'postgres' | 'redis',
  service: string,
  options: RestoreOptions,
  measure: () => Promise<number>,
  unit: string
): Promise<number> {
  const commands = plugin === 'postgres' ? dokku.postgres : dokku.redis
  if (!(await commands.exists(service))) {
    if (!options.create) throw new RestoreRefusedError(`${plugin} service ${service} does not exist.`)
    rt.logger.info(`Creating ${plugin} service ${service} to restore into`)
    await commands.create(service)
    return 0
  }
  const held = await measure()
  if (held > 0 && !rt.config.overwrite)
    throw new RestoreRefusedError(
      `${plugin}:${service} already holds data (${held} ${unit}); restoring would replace it. Restore into a new service (target: ${plugin}:${service}-restored), or set overwrite: true.`
    )
  if (held > 0) rt.logger.warning(`${plugin}:${service} holds ${held} ${unit}; overwrite: true, so the restore replaces them.`)
  return held
}
