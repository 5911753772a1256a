// Multipart uploads a backup run started and never finished. A run that ends normally, fails, or is
// cancelled (SIGINT/SIGTERM) aborts its own uploads (S3UploadStream, abortActiveUploads); a run
// killed with SIGKILL, or whose abort never reached the server, leaves its parts stored — and
// billed — with nothing in a listing of objects to show for them. The next backup run finds them
// with ListMultipartUploads under its prefix and aborts those of a dead run.
//
// Which run is dead cannot be read from S3 (an upload carries no owner), so the rule is by
// activity: a live run writes a part of its upload at least every few seconds to minutes (parts
// are 8 MiB of compressed output, and the SDK gives up on a part idle for 5 minutes), so an upload
// with no part written, and not created, for ABANDONED_AFTER_MS belongs to no live run. A concurrent
// run backing up beside this one keeps writing, and its upload is left alone. Only keys laid out
// by backup-run (`<prefix><kind>/<name>/<id>/<file>`) are considered: anything else under the
// prefix is someone else's. Mode migrate passes its own rule (the keys of the pod's files).
import { errorMessage } from '../errors.js'
import { s3ErrorCode, type ObjectStore } from '../s3/client.js'
import { MANIFEST_NAME, normalizePrefix, parseKey } from './keys.js'

/** How long an upload may go without a new part before it is taken for a dead run's. */
export const ABANDONED_AFTER_MS = 60 * 60_000

export interface AbandonedUpload {
  key: string
  uploadId: string
  /** The newest of its creation and its last part. */
  lastActivity: Date | undefined
}

export interface AbandonedSweep {
  /** Uploads of dead runs: aborted, or (dry run) that would be. */
  abandoned: AbandonedUpload[]
  /** Uploads still being written (a concurrent run): left alone. */
  live: number
  /** Set when the listing or an abort failed; the sweep never fails the run. */
  problem: string | undefined
}

/**
 * Finds (and, unless `dryRun`, aborts) the multipart uploads under `prefix` that no live run is
 * writing: those whose last activity is older than `now - abandonedAfterMs`.
 */
export async function sweepAbandonedUploads(
  store: ObjectStore,
  prefix: string,
  options: { now: Date; dryRun: boolean; abandonedAfterMs?: number; owns?: (key: string) => boolean }
): Promise<AbandonedSweep> {
  const cutoff = options.now.getTime() - (options.abandonedAfterMs ?? ABANDONED_AFTER_MS)
  const sweep: AbandonedSweep = { abandoned: [], live: 0, problem: undefined }
  try {
    for await (const upload of store.listMultipartUploads(normalizePrefix(prefix))) {
      if (options.owns) {
        if (!options.owns(upload.key)) continue
      } else {
        const parsed = parseKey(prefix, upload.key)
        if (!parsed || parsed.file === MANIFEST_NAME) continue
      }
      let lastPart: Date | undefined
      try {
        lastPart = await store.lastPartWritten(upload.key, upload.uploadId)
      } catch (error) {
        if (s3ErrorCode(error) === 'NoSuchUpload') continue // completed or aborted since the listing
        throw error
      }
      const lastActivity = [upload.initiated, lastPart].filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0]
      // An upload that tells nothing of its age is not assumed dead.
      if (lastActivity === undefined || lastActivity.getTime() > cutoff) {
        sweep.live++
        continue
      }
      if (!options.dryRun) {
        try {
          await store.abortMultipart(upload.key, upload.uploadId)
        } catch (error) {
          if (s3ErrorCode(error) !== 'NoSuchUpload') throw error
        }
      }
      sweep.abandoned.push({ key: upload.key, uploadId: upload.uploadId, lastActivity })
    }
  } catch (error) {
    const code = s3ErrorCode(error)
    // A server without ListMultipartUploads (NotImplemented) or a key without the right: said, never fatal.
    sweep.problem = code && !errorMessage(error).includes(code) ? `${code}: ${errorMessage(error)}` : errorMessage(error)
  }
  return sweep
}
