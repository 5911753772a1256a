import { listBackups, pickBackup, readManifest, type CatalogEntry } from '../../core/backup/catalog.js'
import { sourceLabel, type SourceRef } from '../../core/backup/keys.js'
import { fetchStream, formatBytes, Progress } from '../../core/backup/pipeline.js'
import { MAX_SERVICE_NAME } from '../../core/dokku/names.js'
import { errorMessage } from '../../core/errors.js'
import { verifyMirror } from './bucket.js'
import { restoreInto } from './restore.js'
import type { Runtime, TaskResult } from './runtime.js'

/** The sources to act on: the `sources` input, or every source that has backups under the prefix. */
export async function sourcesOrAll(rt: Runtime): Promise<{ sources: SourceRef[]; entries: Map<string, CatalogEntry[]> }> {
  const entries = new Map<string, CatalogEntry[]>()
  if (rt.config.sources.length > 0) {
    for (const source of rt.config.sources) entries.set(sourceLabel(source), await listBackups(rt.store, rt.config.prefix, source))
    return { sources: rt.config.sources, entries }
  }
  const sources: SourceRef[] = []
  for (const entry of await listBackups(rt.store, rt.config.prefix)) {
    const label = sourceLabel(entry.source)
    if (!entries.has(label)) {
      entries.set(label, [])
      sources.push(entry.source)
    }
    entries.get(label)?.push(entry)
  }
  return { sources, entries }
}

/**
 * Downloads the newest complete (or the named) backup of each source and checks every checksum:
 * the stored object's size and SHA-256 always; with a key (age-identity or passphrase) also the
 * decrypted, decompressed plaintext's. With drill, each database backup is restored into a new
 * scratch service, its row counts compared with the manifest, and the scratch service destroyed.
 */
export async function runVerify(rt: Runtime): Promise<TaskResult[]> {
  const { sources, entries } = await sourcesOrAll(rt)
  const results: TaskResult[] = []
  for (const source of sources) {
    const label = sourceLabel(source)
    const started = Date.now()
    try {
      const entry = pickBackup(entries.get(label) ?? [], source, rt.config.backupId)
      const ageSeconds = Math.round((rt.now().getTime() - entry.time.getTime()) / 1000)
      if (rt.config.dryRun) {
        results.push({ source: label, id: entry.id, outcome: rt.config.drill ? 'would drill' : 'would verify', detail: `${formatBytes(entry.storedBytes)} stored`, storedBytes: entry.storedBytes, ageSeconds })
        continue
      }
      const result = await rt.logger.group(`Verifying ${label} ${entry.id}`, () => verifyOne(rt, entry))
      results.push({ ...result, ageSeconds, durationMs: Date.now() - started })
    } catch (error) {
      rt.logger.warning(`Verification of ${label} failed: ${errorMessage(error)}`)
      results.push({ source: label, outcome: 'failed', detail: errorMessage(error), failed: true, durationMs: Date.now() - started })
    }
  }
  return results
}

async function verifyOne(rt: Runtime, entry: CatalogEntry): Promise<TaskResult> {
  const manifest = await readManifest(rt.store, entry)
  const label = sourceLabel(manifest.source)
  const decrypting = rt.config.keys.identities.length > 0 || rt.config.keys.passphrase !== undefined
  const checked: string[] = []
  if (manifest.object) {
    const object = manifest.object
    await fetchStream(undefined, {
      store: rt.store,
      key: object.key,
      expected: object,
      compression: object.compression,
      encryption: object.encryption.kind,
      keys: decrypting ? rt.config.keys : undefined,
      progress: new Progress(`${label}: verifying`, (line) => rt.logger.info(line), rt.options.progressIntervalMs)
    })
    checked.push(decrypting || object.encryption.kind === 'none' ? 'stored and plaintext SHA-256 match' : 'stored SHA-256 matches (no key given: plaintext not checked)')
  }
  if (manifest.bucket) {
    const n = await verifyMirror(rt, manifest)
    checked.push(`${n} mirrored objects match`)
  }
  const drillable = manifest.source.kind === 'postgres' || manifest.source.kind === 'redis'
  if (rt.config.drill && drillable) checked.push(await drill(rt, entry, manifest))
  return { source: label, id: entry.id, outcome: rt.config.drill && drillable ? 'drilled' : 'verified', detail: checked.join('; '), storedBytes: entry.storedBytes, plaintextBytes: manifest.object?.plaintextBytes ?? manifest.bucket?.bytes }
}

/** Restores into a scratch service that is always destroyed afterwards, failing on any count difference. */
async function drill(rt: Runtime, entry: CatalogEntry, manifest: Awaited<ReturnType<typeof readManifest>>): Promise<string> {
  const kind = manifest.source.kind as 'postgres' | 'redis'
  const scratch: SourceRef = { kind, name: scratchName(manifest.source.name, rt.now()) }
  const dokku = await rt.dokku()
  const commands = kind === 'postgres' ? dokku.postgres : dokku.redis
  try {
    const restored = await restoreInto(rt, entry, manifest, scratch, { create: true, strictCounts: true })
    return `drill: ${restored.detail}`
  } finally {
    if (await commands.exists(scratch.name).catch(() => false)) {
      await commands.destroy(scratch.name).then(
        () => rt.logger.info(`Destroyed the scratch service ${sourceLabel(scratch)}`),
        (error: unknown) => rt.logger.warning(`Could not destroy the scratch service ${sourceLabel(scratch)}; remove it by hand: ${errorMessage(error)}`)
      )
    }
  }
}

/** `<name>-drill-<base36 time>`, within the length a service name can have (MAX_SERVICE_NAME). */
export function scratchName(name: string, now: Date): string {
  const suffix = `-drill-${now.getTime().toString(36)}`
  return `${name.slice(0, MAX_SERVICE_NAME - suffix.length)}${suffix}`
}
