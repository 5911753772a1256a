// Retention: a pure planner. Given the backups of one source and a policy, says which to keep
// (with every reason) and which to delete. Semantics follow restic's `forget --keep-*`, which users
// know: keep-daily N keeps the newest backup of each of the last N days that have a backup; weekly
// uses ISO weeks, monthly calendar months, all in UTC.

export interface RetentionPolicy {
  keepLast: number
  keepDaily: number
  keepWeekly: number
  keepMonthly: number
}

export interface RetentionItem {
  id: string
  time: Date
  /** Has its manifest: a complete backup. */
  complete: boolean
}

export interface RetentionDecision {
  keep: { id: string; reasons: string[] }[]
  remove: { id: string; reason: string }[]
}

/** Incomplete backups younger than this may still be running: they are left alone. */
export const INCOMPLETE_GRACE_MS = 24 * 3_600_000

export function planRetention(items: readonly RetentionItem[], policy: RetentionPolicy, now: Date): RetentionDecision {
  const complete = items.filter((i) => i.complete).sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1))
  const reasons = new Map<string, string[]>()
  const add = (id: string, reason: string) => reasons.set(id, [...(reasons.get(id) ?? []), reason])

  complete.slice(0, policy.keepLast).forEach((item, i) => add(item.id, `last ${i + 1}`))
  const buckets: [number, string, (d: Date) => string][] = [
    [policy.keepDaily, 'daily', dayOf],
    [policy.keepWeekly, 'weekly', isoWeekOf],
    [policy.keepMonthly, 'monthly', monthOf]
  ]
  for (const [count, label, period] of buckets) {
    const seen = new Set<string>()
    for (const item of complete) {
      if (seen.size >= count) break
      const p = period(item.time)
      if (seen.has(p)) continue
      seen.add(p)
      add(item.id, `${label} ${p}`)
    }
  }
  // Never the newest complete backup, whatever the policy says.
  const newest = complete[0]
  if (newest && !reasons.has(newest.id)) add(newest.id, 'newest complete backup')

  const keep: RetentionDecision['keep'] = []
  const remove: RetentionDecision['remove'] = []
  for (const item of [...items].sort((a, b) => b.time.getTime() - a.time.getTime())) {
    const why = reasons.get(item.id)
    if (item.complete) {
      if (why) keep.push({ id: item.id, reasons: why })
      else remove.push({ id: item.id, reason: 'outside the retention policy' })
    } else if (newest && item.time < newest.time && now.getTime() - item.time.getTime() > INCOMPLETE_GRACE_MS) {
      remove.push({ id: item.id, reason: 'incomplete (no manifest), older than the newest complete backup' })
    } else {
      keep.push({ id: item.id, reasons: ['incomplete, possibly still running'] })
    }
  }
  return { keep, remove }
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10)
}

function monthOf(d: Date): string {
  return d.toISOString().slice(0, 7)
}

/** ISO 8601 week, e.g. `2026-W48` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekOf(d: Date): string {
  const date = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const day = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - day)
  const yearStart = new Date(Date.UTC(date.getUTCFullYear(), 0, 1))
  const week = Math.ceil(((date.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7)
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}
