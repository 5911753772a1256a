import * as core from '@actions/core'
import { redact } from '../secrets.js'

export type SummaryTable = Parameters<typeof core.summary.addTable>[0]

/**
 * Writes the job summary when the runner provides GITHUB_STEP_SUMMARY (locally it is
 * usually unset and `write()` would throw). Every cell passes through redaction.
 */
export async function writeJobSummary(build: (summary: typeof core.summary) => void): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  core.summary.emptyBuffer()
  build(core.summary)
  const text = redact(core.summary.stringify())
  core.summary.emptyBuffer()
  await core.summary.addRaw(text).write()
}
