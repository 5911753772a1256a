import type { ObjectStore } from '../s3/client.js'
import { backupPrefix, MANIFEST_NAME, normalizePrefix, parseBackupId, parseKey, sourceLabel, sourcePrefix, type SourceRef } from './keys.js'
import { parseManifest, type Manifest } from './manifest.js'

/** One backup as found in the bucket: its objects, and whether its manifest is there. */
export interface CatalogEntry {
  source: SourceRef
  id: string
  time: Date
  complete: boolean
  /** Every key of the backup's directory (data and manifest). */
  keys: string[]
  /**
   * The backup's data as stored (compressed, encrypted), without its manifest: the size every
   * mode reports for a backup, so that backup, restore, verify, prune and list agree.
   */
  storedBytes: number
  manifestKey: string | undefined
}

/** The backups of one source (or of every source under the prefix), oldest first. */
export async function listBackups(store: ObjectStore, prefix: string, source?: SourceRef): Promise<CatalogEntry[]> {
  const listPrefix = source ? sourcePrefix(prefix, source) : normalizePrefix(prefix)
  const byId = new Map<string, CatalogEntry>()
  for await (const object of store.list(listPrefix)) {
    const parsed = parseKey(prefix, object.key)
    if (!parsed) continue
    const groupKey = backupPrefix(prefix, parsed.source, parsed.id)
    let entry = byId.get(groupKey)
    if (!entry) {
      entry = { source: parsed.source, id: parsed.id, time: parseBackupId(parsed.id) as Date, complete: false, keys: [], storedBytes: 0, manifestKey: undefined }
      byId.set(groupKey, entry)
    }
    entry.keys.push(object.key)
    if (parsed.file !== MANIFEST_NAME) entry.storedBytes += object.size
    if (parsed.file === MANIFEST_NAME) {
      entry.complete = true
      entry.manifestKey = object.key
    }
  }
  return [...byId.values()].sort((a, b) => a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : 1))
}

export function newestComplete(entries: readonly CatalogEntry[]): CatalogEntry | undefined {
  return [...entries].reverse().find((entry) => entry.complete)
}

/** The named backup (`20261124T020000.123Z`), or the newest complete one when no name is given. */
export function pickBackup(entries: readonly CatalogEntry[], source: SourceRef, id: string | undefined): CatalogEntry {
  const label = sourceLabel(source)
  if (id === undefined) {
    const newest = newestComplete(entries)
    if (!newest) throw new Error(`There is no complete backup of ${label} in the destination${entries.length > 0 ? ` (${entries.length} incomplete, without a manifest)` : ''}.`)
    return newest
  }
  const entry = entries.find((e) => e.id === id)
  if (!entry) throw new Error(`There is no backup ${id} of ${label}. The newest complete one is ${newestComplete(entries)?.id ?? 'none'}.`)
  if (!entry.complete) throw new Error(`The backup ${id} of ${label} is incomplete (it has no manifest): the run that wrote it failed or is still running.`)
  return entry
}

export async function readManifest(store: ObjectStore, entry: CatalogEntry): Promise<Manifest> {
  const key = entry.manifestKey
  if (!key) throw new Error(`The backup ${entry.id} has no manifest`)
  const text = await store.getText(key)
  if (text === undefined) throw new Error(`The manifest ${key} disappeared while it was being read`)
  return parseManifest(text, key)
}
