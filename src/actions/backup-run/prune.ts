import { readManifest } from '../../core/backup/catalog.js'
import { sourceLabel } from '../../core/backup/keys.js'
import { formatBytes } from '../../core/backup/pipeline.js'
import { planRetention } from '../../core/backup/retention.js'
import { errorMessage } from '../../core/errors.js'
import { collectMirrorGarbage } from './bucket.js'
import type { Runtime, TaskResult } from './runtime.js'
import { sourcesOrAll } from './verify.js'

/**
 * Applies the retention policy to each source's backups. Only keys laid out by this toolkit under
 * the prefix are considered (anything else in the bucket is invisible to it); the newest complete
 * backup is always kept; with dry-run, it lists what would go and deletes nothing.
 */
export async function runPrune(rt: Runtime): Promise<TaskResult[]> {
  const { sources, entries } = await sourcesOrAll(rt)
  const results: TaskResult[] = []
  for (const source of sources) {
    const label = sourceLabel(source)
    try {
      const backups = entries.get(label) ?? []
      const decision = planRetention(backups, rt.config.retention, rt.now())
      const byId = new Map(backups.map((b) => [b.id, b]))
      for (const kept of decision.keep) results.push({ source: label, id: kept.id, outcome: 'kept', detail: kept.reasons.join(', '), storedBytes: byId.get(kept.id)?.storedBytes ?? 0 })
      const keys = decision.remove.flatMap((r) => byId.get(r.id)?.keys ?? [])
      // Manifests last in the delete order would not help: DeleteObjects is one request per 1000
      // keys, so a half-done prune leaves incomplete backups, which the next prune removes.
      if (!rt.config.dryRun && keys.length > 0) await rt.store.deleteMany(keys)
      for (const removed of decision.remove)
        results.push({ source: label, id: removed.id, outcome: rt.config.dryRun ? 'would prune' : 'pruned', detail: removed.reason, storedBytes: byId.get(removed.id)?.storedBytes ?? 0 })
      if (source.kind === 'bucket') {
        const remaining = decision.keep.map((k) => byId.get(k.id)).filter((b) => b?.complete)
        const referenced = new Set<string>()
        for (const backup of remaining) if (backup) for (const ref of (await readManifest(rt.store, backup)).bucket?.references ?? []) referenced.add(ref.object)
        const garbage = await collectMirrorGarbage(rt, source.name, referenced, rt.config.dryRun)
        if (garbage.length > 0)
          results.push({ source: label, outcome: rt.config.dryRun ? 'would prune' : 'pruned', detail: `${garbage.length} mirrored objects no kept snapshot references` })
      }
    } catch (error) {
      rt.logger.warning(`Pruning ${label} failed: ${errorMessage(error)}`)
      results.push({ source: label, outcome: 'failed', detail: errorMessage(error), failed: true })
    }
  }
  return results
}

export async function runList(rt: Runtime): Promise<TaskResult[]> {
  const { sources, entries } = await sourcesOrAll(rt)
  const now = rt.now().getTime()
  const results: TaskResult[] = []
  for (const source of sources) {
    for (const entry of [...(entries.get(sourceLabel(source)) ?? [])].reverse()) {
      results.push({
        source: sourceLabel(source),
        id: entry.id,
        outcome: entry.complete ? 'complete' : 'incomplete',
        detail: `${formatBytes(entry.storedBytes)} stored${entry.complete ? '' : ': no manifest (failed or still running)'}`,
        storedBytes: entry.storedBytes,
        ageSeconds: Math.round((now - entry.time.getTime()) / 1000)
      })
    }
    if ((entries.get(sourceLabel(source)) ?? []).length === 0) results.push({ source: sourceLabel(source), outcome: 'none', detail: 'no backups' })
  }
  return results
}
