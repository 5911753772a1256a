// The counts behind RELIABILITY.md. A test that proves a promise records how many cases it tried
// and how many held; `npm run reliability` (scripts/reliability.ts) sets RELIABILITY_RESULTS to a
// file, runs the tests and prints the table from what they recorded. Without it, recording is a no-op.
import { appendFileSync } from 'node:fs'

export interface ReliabilityCount {
  tried: number
  held: number
  /** Further counts worth showing (refused, accepted, commands, …). */
  details?: Record<string, number>
}

export interface ReliabilityRecord extends ReliabilityCount {
  promise: string
  case: string
}

export const RESULTS_VARIABLE = 'RELIABILITY_RESULTS'

export function recordReliability(promise: string, name: string, count: ReliabilityCount): void {
  const file = process.env[RESULTS_VARIABLE]
  if (!file) return
  const record: ReliabilityRecord = { promise, case: name, ...count }
  appendFileSync(file, `${JSON.stringify(record)}\n`)
}
