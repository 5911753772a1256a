// Object key naming: pure functions. A backup is a "directory" of objects that sorts by time:
//
//   <prefix><kind>/<name>/<id>/<data object>     e.g. dokku-stack/postgres/db/20261124T020000.123Z/db.dump.zst.age
//   <prefix><kind>/<name>/<id>/manifest.json     written last: without it the backup is not complete
//   <prefix>bucket-objects/<name>/<xx>/<hash>    mirrored bucket objects, shared between snapshots
//
// The id is the UTC start time in ISO 8601 basic format with milliseconds: it sorts as text, has
// no characters that need escaping in URLs or shells, and two runs in one second still differ.
// Two backups of one source started in the same millisecond by one process (the stack action, a
// test running two at once) would share an id, the second overwriting the first: newBackupStart
// gives the later one the next free millisecond. Across processes, the workflow's concurrency group
// keeps two scheduled runs of one source apart (workflows-examples/nightly-backup.yml).

export const SOURCE_KINDS = ['postgres', 'redis', 'cockroach', 'bucket', 'config'] as const
export type SourceKind = (typeof SOURCE_KINDS)[number]

export interface SourceRef {
  kind: SourceKind
  name: string
}

export const MANIFEST_NAME = 'manifest.json'
const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/

export function sourceLabel(source: SourceRef): string {
  return `${source.kind}:${source.name}`
}

export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '')
}

/** The start time issued last for each source in this process (newBackupStart). */
const lastStartMs = new Map<string, number>()

/**
 * The start time, hence the id, of a new backup of `source`: `now`, or the millisecond after the
 * previous backup of the same source that this process started, when that one has `now`'s
 * millisecond or a later one. Ids of one source are then unique within the process.
 */
export function newBackupStart(source: SourceRef, now: Date): Date {
  const label = sourceLabel(source)
  const previous = lastStartMs.get(label)
  const ms = previous !== undefined && previous >= now.getTime() ? previous + 1 : now.getTime()
  lastStartMs.set(label, ms)
  return new Date(ms)
}

/** The time a backup id names; undefined when it is not one of ours. */
export function parseBackupId(id: string): Date | undefined {
  const m = ID_PATTERN.exec(id)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as [number, number, number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms))
  return Number.isNaN(date.getTime()) || backupId(date) !== id ? undefined : date
}

/** `dokku-stack/` → `dokku-stack/`; `''` stays `''`; a prefix without trailing slash gets one. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '')
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`
}

export function sourcePrefix(prefix: string, source: SourceRef): string {
  return `${normalizePrefix(prefix)}${source.kind}/${source.name}/`
}

export function backupPrefix(prefix: string, source: SourceRef, id: string): string {
  return `${sourcePrefix(prefix, source)}${id}/`
}

export function manifestKey(prefix: string, source: SourceRef, id: string): string {
  return `${backupPrefix(prefix, source, id)}${MANIFEST_NAME}`
}

export function dataKey(prefix: string, source: SourceRef, id: string, fileName: string): string {
  return `${backupPrefix(prefix, source, id)}${fileName}`
}

export function bucketObjectsPrefix(prefix: string, bucket: string): string {
  return `${normalizePrefix(prefix)}bucket-objects/${bucket}/`
}

export function bucketObjectKey(prefix: string, bucket: string, hash: string): string {
  return `${bucketObjectsPrefix(prefix, bucket)}${hash.slice(0, 2)}/${hash}`
}

/** The name (hash) of a mirrored object from its key; undefined for a key bucketObjectKey did not make. */
export function parseBucketObjectKey(prefix: string, bucket: string, key: string): string | undefined {
  const base = bucketObjectsPrefix(prefix, bucket)
  if (!key.startsWith(base)) return undefined
  const hash = key.slice(key.lastIndexOf('/') + 1)
  return hash !== '' && key === bucketObjectKey(prefix, bucket, hash) ? hash : undefined
}

export interface ParsedKey {
  source: SourceRef
  id: string
  /** The object's name inside the backup's directory. */
  file: string
}

/** Reads a key back into source, id and file; undefined for anything not laid out by us. */
export function parseKey(prefix: string, key: string): ParsedKey | undefined {
  const base = normalizePrefix(prefix)
  if (!key.startsWith(base)) return undefined
  const parts = key.slice(base.length).split('/')
  if (parts.length !== 4) return undefined
  const [kind, name, id, file] = parts as [string, string, string, string]
  if (!(SOURCE_KINDS as readonly string[]).includes(kind) || name === '' || file === '' || parseBackupId(id) === undefined) return undefined
  return { source: { kind: kind as SourceKind, name }, id, file }
}

/** Parses `postgres:db`-style source lines. */
export function parseSourceRef(text: string): SourceRef | undefined {
  const m = /^([a-z]+):(.+)$/.exec(text.trim())
  if (!m || !(SOURCE_KINDS as readonly string[]).includes(m[1] as string)) return undefined
  return { kind: m[1] as SourceKind, name: (m[2] as string).trim() }
}
