import { describe, expect, it } from 'vitest'
import { formatDuration } from '../../src/core/format.ts'

describe('formatDuration', () => {
  it('reads the way a person would say it, from milliseconds to days', () => {
    expect(formatDuration(0)).toBe('0 ms')
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(1500)).toBe('1.5 s')
    expect(formatDuration(12_040)).toBe('12 s')
    expect(formatDuration(90_000)).toBe('90 s')
    expect(formatDuration(120_000)).toBe('2 min')
    expect(formatDuration(3_600_000)).toBe('60 min')
    expect(formatDuration(7_200_000)).toBe('2.0 h')
    expect(formatDuration(3 * 86_400_000)).toBe('3.0 days')
  })

  it('keeps the sign of a negative duration (a clock ahead of the backup it dates)', () => {
    expect(formatDuration(-5000)).toBe('-5 s')
  })
})
