import type { SourceRef } from './keys.js'
import { SOURCE_KINDS } from './keys.js'
import type { Compression, Encryption } from './streams.js'
import { COMPRESSIONS } from './streams.js'

export const MANIFEST_FORMAT = 'dokku-stack-backup/1'

export interface TableCount {
  schema: string
  name: string
  rows: number
}

/** One stored data object and everything needed to check and read it back. */
export interface StoredObjectEntry {
  key: string
  /** What the plaintext is: `pg_dump-custom`, `redis-rdb`, `dokku-config-json`. */
  content: string
  plaintextBytes: number
  plaintextSha256: string
  storedBytes: number
  storedSha256: string
  parts: number
  compression: Compression
  encryption: { kind: Encryption['kind']; recipients?: string[] }
}

export interface MirroredObject {
  object: string
  storedBytes: number
  storedSha256: string
}

export interface BucketSnapshotEntry {
  /** Objects in the source bucket at the time of the snapshot. */
  objects: number
  bytes: number
  /** Objects copied by this run (the others were already mirrored). */
  copied: number
  copiedBytes: number
  /** The encrypted index (source key → mirrored object): an object like the data of other sources. */
  index: StoredObjectEntry
  /**
   * The mirrored objects this snapshot needs, by opaque name (no source key names: those are only in
   * the encrypted index), with what verify checks them against. Prune collects the others without a key.
   */
  references: MirroredObject[]
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  id: string
  source: SourceRef
  /** ISO times: start and end of the backup. */
  startedAt: string
  completedAt: string
  object?: StoredObjectEntry
  database?: {
    serverVersion?: string
    /** Exact counts, taken in one snapshot at the moment the dump started. */
    tables?: TableCount[]
    /** Redis: keys per logical database (`INFO keyspace`). */
    keyspace?: Record<string, number>
    /** pg_dump archive header: format version, pg_dump version, its own compression. */
    dump?: Record<string, string>
  }
  config?: { keys: number }
  bucket?: BucketSnapshotEntry
  tools: Record<string, string>
  timings: Record<string, number>
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** Parses and checks a manifest; throws with the key in the message when it is not one of ours. */
export function parseManifest(text: string, key: string): Manifest {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`The manifest ${key} is not valid JSON: ${(error as Error).message}`, { cause: error })
  }
  const m = value as Partial<Manifest>
  const bad = (what: string) => new Error(`The manifest ${key} is not a ${MANIFEST_FORMAT} manifest: ${what}`)
  if (!m || typeof m !== 'object') throw bad('not an object')
  if (m.format !== MANIFEST_FORMAT) throw bad(`format is ${JSON.stringify(m.format)}`)
  if (typeof m.id !== 'string' || !m.source || !(SOURCE_KINDS as readonly string[]).includes(m.source.kind) || typeof m.source.name !== 'string') throw bad('id or source missing')
  if (typeof m.startedAt !== 'string' || typeof m.completedAt !== 'string') throw bad('times missing')
  for (const entry of [m.object, m.bucket?.index]) {
    if (entry === undefined) continue
    if (typeof entry.key !== 'string' || !/^[0-9a-f]{64}$/.test(entry.storedSha256) || !/^[0-9a-f]{64}$/.test(entry.plaintextSha256)) throw bad('object checksums missing')
    if (!Number.isSafeInteger(entry.storedBytes) || !Number.isSafeInteger(entry.plaintextBytes)) throw bad('object sizes missing')
    if (!(COMPRESSIONS as readonly string[]).includes(entry.compression)) throw bad(`unknown compression ${entry.compression}`)
    if (!['age-recipients', 'age-passphrase', 'none'].includes(entry.encryption?.kind)) throw bad('unknown encryption')
  }
  return m as Manifest
}
