// backup-run's `seaweed:<app>/<bucket>` source: a bucket of the SeaweedFS store that
// seaweed-provision runs as Dokku app <app>. The credentials are the store's read-only backup
// identity, read from that app's config over this run's own SSH connection, so the workflow holds
// no S3 secret for the store. The bucket is backed up exactly as a `bucket:<bucket>` source (same
// keys in the destination, so list, verify, prune and restore name it `bucket:<bucket>`).
import type { SourceRef } from '../../core/backup/keys.js'
import { checkAppName } from '../../core/inputs/readers.js'
import { ObjectStore } from '../../core/s3/client.js'
import { SEAWEED_KEYS } from '../../core/seaweed/recipe.js'
import { registerSecret } from '../../core/secrets.js'
import type { Runtime } from './runtime.js'

export const SEAWEED_SOURCE = /^seaweed:([^/\s]+)\/(\S+)$/

/** `seaweed:<app>/<bucket>` → the bucket source and the store app; undefined for any other line. */
export function parseSeaweedSource(input: string, line: string): { source: SourceRef; app: string } | undefined {
  const match = SEAWEED_SOURCE.exec(line.trim())
  if (!match) return undefined
  return { source: { kind: 'bucket', name: match[2] as string }, app: checkAppName(input, match[1] as string) }
}

/**
 * Reads the store's backup identity from the host and makes it the source store of `bucket`.
 * Any failure (host unreachable, store not provisioned) fails this source only: the caller runs
 * it inside the source's own try. Once per run: a second call keeps the store the first one made.
 */
export async function useSeaweedSource(rt: Runtime, bucket: string, app: string): Promise<void> {
  // Read once per run: the plan's observation already did it when this run backs the bucket up.
  if (rt.hasHostSource(bucket)) return
  const dokku = await rt.dokku()
  const values = await dokku.config.export(app)
  const accessKeyId = values[SEAWEED_KEYS.backupAccessKey]
  const secretAccessKey = values[SEAWEED_KEYS.backupSecretKey]
  registerSecret(secretAccessKey)
  const endpoint = rt.config.sourceS3?.endpoint ?? values[SEAWEED_KEYS.endpoint]
  if (!accessKeyId || !secretAccessKey)
    throw new Error(`The Dokku app ${app} holds no SeaweedFS backup key (${SEAWEED_KEYS.backupAccessKey}): run seaweed-provision for it with at least one bucket first.`)
  if (!endpoint) throw new Error(`The Dokku app ${app} does not say where its S3 endpoint is (${SEAWEED_KEYS.endpoint}): run seaweed-provision again, or set source-s3-endpoint.`)
  const settings = { endpoint, region: rt.config.sourceS3?.region ?? 'us-east-1', bucket, accessKeyId, secretAccessKey }
  rt.useSourceStore(bucket, new ObjectStore(settings, { maxSockets: Math.max(32, rt.config.concurrency * 2) }))
}
