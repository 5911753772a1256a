// What every source's backup writes last: its manifest. One place for the fields they share, so
// that a postgres dump, a redis snapshot, an app's config and a bucket snapshot describe themselves
// the same way.
import { manifestKey, type SourceRef } from '../../core/backup/keys.js'
import { MANIFEST_FORMAT, serializeManifest, type Manifest, type StoredObjectEntry } from '../../core/backup/manifest.js'
import type { StoredObject } from '../../core/backup/pipeline.js'
import { describeEncryption, type Compression } from '../../core/backup/streams.js'
import { TOOL_VERSION } from '../../core/tool.js'
import type { Runtime } from './runtime.js'

export const TOOL_NAME = 'dokku-stack backup-run'

/** The fields every manifest starts with; it is completed now. */
export function manifestHead(rt: Runtime, source: SourceRef, id: string, startedAt: Date): Pick<Manifest, 'format' | 'id' | 'source' | 'startedAt' | 'completedAt'> {
  return { format: MANIFEST_FORMAT, id, source, startedAt: startedAt.toISOString(), completedAt: rt.now().toISOString() }
}

/** This action and its runtime; sources read from the host add the host's versions. */
export function runnerTools(): Record<string, string> {
  return { [TOOL_NAME]: TOOL_VERSION, node: process.version }
}

export function objectEntry(stored: StoredObject, content: string, compression: Compression, rt: Runtime): StoredObjectEntry {
  return {
    key: stored.key,
    content,
    plaintextBytes: stored.plaintextBytes,
    plaintextSha256: stored.plaintextSha256,
    storedBytes: stored.storedBytes,
    storedSha256: stored.storedSha256,
    parts: stored.parts,
    compression,
    encryption: describeEncryption(rt.config.encryption)
  }
}

/** `.age` when this run encrypts. */
export function encryptionSuffix(rt: Runtime): string {
  return rt.config.encryption.kind === 'none' ? '' : '.age'
}

/** The manifest goes last: its presence is what makes the backup complete. */
export async function writeManifest(rt: Runtime, manifest: Manifest): Promise<string> {
  const key = manifestKey(rt.config.prefix, manifest.source, manifest.id)
  await rt.store.put(key, serializeManifest(manifest), { contentType: 'application/json' })
  return key
}
