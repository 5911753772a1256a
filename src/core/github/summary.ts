import { appendFile } from 'node:fs/promises'
import * as core from '@actions/core'
import { redact } from '../secrets.js'

export type SummaryTable = Parameters<typeof core.summary.addTable>[0]

/**
 * Writes the job summary when the runner provides GITHUB_STEP_SUMMARY (locally it is usually
 * unset). The builder renders the HTML; the file is appended here rather than by
 * `summary.write()`, which caches the first path it saw for the life of the process. Every
 * cell passes through redaction.
 */
export async function writeJobSummary(build: (summary: typeof core.summary) => void): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY
  if (!file) return
  core.summary.emptyBuffer()
  build(core.summary)
  const html = redact(core.summary.stringify())
  core.summary.emptyBuffer()
  await appendFile(file, `${html}\n`)
}
