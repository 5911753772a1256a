import { describe, expect, it } from 'vitest'
import { DEFAULT_PART_SIZE, MIN_PART_SIZE, partSizeFor } from '../../../src/core/s3/multipart.ts'

const MIB = 1024 * 1024

describe('partSizeFor', () => {
  it('doubles the part size every 1000 parts so 10,000 parts hold terabytes, capped at 1 GiB', () => {
    expect(MIN_PART_SIZE).toBe(5 * MIB)
    expect(partSizeFor(1, DEFAULT_PART_SIZE)).toBe(8 * MIB)
    expect(partSizeFor(1000, DEFAULT_PART_SIZE)).toBe(8 * MIB)
    expect(partSizeFor(1001, DEFAULT_PART_SIZE)).toBe(16 * MIB)
    expect(partSizeFor(10_000, DEFAULT_PART_SIZE)).toBe(1024 * MIB)
    let total = 0
    for (let n = 1; n <= 10_000; n++) total += partSizeFor(n, DEFAULT_PART_SIZE)
    expect(total / (1024 * 1024 * MIB)).toBeGreaterThan(2) // > 2 TiB for an unknown-length stream
  })
})
