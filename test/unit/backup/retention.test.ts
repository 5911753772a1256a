// Retention over a synthetic calendar of a year: a backup every day at 02:00 UTC through 2026,
// one more on the last afternoon, and failed (manifest-less) runs among them.
import { describe, expect, it } from 'vitest'
import { backupId } from '../../../src/core/backup/keys.ts'
import { INCOMPLETE_GRACE_MS, isoWeekOf, planRetention, type RetentionItem } from '../../../src/core/backup/retention.ts'

function at(iso: string): RetentionItem {
  const time = new Date(iso)
  return { id: backupId(time), time, complete: true }
}

function year(): RetentionItem[] {
  const items: RetentionItem[] = []
  for (let day = 0; day < 365; day++) items.push(at(new Date(Date.UTC(2026, 0, 1 + day, 2)).toISOString()))
  items.push(at('2026-12-31T14:00:00.000Z'))
  return items
}

const ids = (list: { id: string }[]) => list.map((i) => i.id).sort()
const id = (iso: string) => backupId(new Date(iso))
const now = new Date('2027-01-01T00:00:00.000Z')

describe('planRetention over a year', () => {
  it('keeps last 3, daily 7, weekly 4 (ISO weeks) and monthly 12, and removes the other 345', () => {
    const decision = planRetention(year(), { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }, now)
    const expected = [
      '2026-12-31T14:00', '2026-12-31T02:00', '2026-12-30T02:00', '2026-12-29T02:00', '2026-12-28T02:00', '2026-12-27T02:00', '2026-12-26T02:00',
      '2026-12-25T02:00', '2026-12-20T02:00', '2026-12-13T02:00', '2026-11-30T02:00', '2026-10-31T02:00', '2026-09-30T02:00', '2026-08-31T02:00',
      '2026-07-31T02:00', '2026-06-30T02:00', '2026-05-31T02:00', '2026-04-30T02:00', '2026-03-31T02:00', '2026-02-28T02:00', '2026-01-31T02:00'
    ].map((t) => id(`${t}:00.000Z`))
    expect(ids(decision.keep)).toEqual(expected.sort())
    expect(decision.remove).toHaveLength(366 - 21)
    const newest = decision.keep.find((k) => k.id === id('2026-12-31T14:00:00.000Z'))
    expect(newest?.reasons).toEqual(['last 1', 'daily 2026-12-31', 'weekly 2026-W53', 'monthly 2026-12'])
    expect(decision.keep.find((k) => k.id === id('2026-12-27T02:00:00.000Z'))?.reasons).toEqual(['daily 2026-12-27', 'weekly 2026-W52'])
  })

  it('keeps one a month for a year with keep-monthly alone', () => {
    const decision = planRetention(year(), { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 12 }, now)
    expect(decision.keep).toHaveLength(12)
    expect(decision.keep.every((k) => k.reasons.length === 1 && k.reasons[0]?.startsWith('monthly 2026-'))).toBe(true)
  })

  it('never removes the newest complete backup, even with an empty policy', () => {
    const decision = planRetention(year(), { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }, now)
    expect(decision.keep).toEqual([{ id: id('2026-12-31T14:00:00.000Z'), reasons: ['newest complete backup'] }])
  })

  it('removes old incomplete backups, keeps recent ones and any newer than the newest complete one', () => {
    const items = [
      ...year(),
      { ...at('2026-06-15T03:00:00.000Z'), complete: false },
      { ...at('2026-12-31T20:00:00.000Z'), complete: false }
    ]
    const decision = planRetention(items, { keepLast: 400, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }, now)
    expect(decision.remove).toEqual([{ id: id('2026-06-15T03:00:00.000Z'), reason: 'incomplete (no manifest), older than the newest complete backup' }])
    expect(decision.keep.find((k) => k.id === id('2026-12-31T20:00:00.000Z'))?.reasons).toEqual(['incomplete, possibly still running'])
    expect(INCOMPLETE_GRACE_MS).toBe(86_400_000)
  })

  it('counts periods that have backups, not calendar periods (gaps are skipped)', () => {
    const sparse = [at('2026-01-05T02:00:00.000Z'), at('2026-03-05T02:00:00.000Z'), at('2026-03-20T02:00:00.000Z'), at('2026-09-01T02:00:00.000Z')]
    const decision = planRetention(sparse, { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 3 }, now)
    expect(ids(decision.keep)).toEqual([id('2026-09-01T02:00:00.000Z'), id('2026-03-20T02:00:00.000Z'), id('2026-01-05T02:00:00.000Z')].sort())
  })
})

describe('isoWeekOf', () => {
  it.each([
    ['2026-01-01', '2026-W01'],
    ['2026-12-31', '2026-W53'],
    ['2027-01-03', '2026-W53'],
    ['2027-01-04', '2027-W01'],
    ['2024-12-30', '2025-W01'],
    ['2021-01-03', '2020-W53']
  ])('%s is in %s', (date, week) => {
    expect(isoWeekOf(new Date(`${date}T12:00:00Z`))).toBe(week)
  })
})
