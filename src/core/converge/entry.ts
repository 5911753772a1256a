// The entry side every action shares: one `run()` signature, the outcome word of a run, and the
// job summary's common parts (heading, the action's own tables, the plan table, notices, notes and
// the error, what changed or would change). Each action's main.ts keeps only its own tables and
// outputs, so that six summaries read alike and one fix reaches all of them.
import type { RunContext } from '../github/context.js'
import { writeJobSummary, type SummaryTable } from '../github/summary.js'
import { errorMessage } from '../errors.js'
import type { InputReader } from '../inputs/readers.js'
import type { Logger } from '../log.js'
import type { ConvergeMode } from './apply.js'
import type { Plan } from './plan.js'
import { planTable, unmanagedLine } from './render.js'

/**
 * What every action's `run` is: inputs by name, the workflow run's facts, a logger. All three are
 * optional so that `index.ts` calls `run()`; tests and the root action pass their own.
 */
export type ActionRun = (inputs?: InputReader, context?: RunContext, logger?: Logger) => Promise<void>

/** What the outcome word is made of: the mode, how many steps were planned, whether anything changed, whether it failed. */
export interface RunOutcome {
  mode: ConvergeMode
  planned: number
  changed: boolean
  failed: boolean
}

/** An action's own words for a run that changed something, changed nothing, or failed (`destroyed`, `failed, rolled back`). */
export interface OutcomeWords {
  changed?: string
  unchanged?: string
  failed?: string
}

/**
 * The one-word (or few-word) outcome of the summary's overview table: `failed`,
 * `dry run: 2 step(s) planned`, `dry run: nothing to do`, `changed`, `unchanged`; for a check,
 * `drift: N difference(s)` or `no drift`.
 */
export function outcomeWord(run: RunOutcome, words: OutcomeWords = {}): string {
  if (run.mode === 'check') return run.failed ? (run.planned > 0 ? `drift: ${run.planned} difference(s)` : (words.failed ?? 'failed')) : 'no drift'
  if (run.failed) return words.failed ?? 'failed'
  if (run.mode === 'dry-run') return run.planned > 0 ? `dry run: ${run.planned} step(s) planned` : 'dry run: nothing to do'
  return run.changed ? (words.changed ?? 'changed') : (words.unchanged ?? 'unchanged')
}

/** A table of one header row and its data rows: the shape of every overview table. */
export function headedTable(headers: readonly string[], rows: readonly (readonly string[])[]): SummaryTable {
  return [headers.map((data) => ({ data, header: true })), ...rows.map((row) => [...row])]
}

/** Lines as a Markdown-ish list inside a details block, or `nothing` (with the action's words) when there are none. */
export function listOrNothing(lines: readonly string[], nothing = 'nothing'): string {
  return lines.length > 0 ? lines.map((line) => `- ${line}`).join('<br>') : nothing
}

/** Text shown inside the summary's HTML as it is (a rendered Caddyfile). */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** What a run changed (after it) or would change (in a dry run), as lines for people. */
export interface ChangeLines {
  /** The plan's steps, said as what they would do. Shown in a dry run. */
  planned: readonly string[]
  /** What was done, in order. Shown otherwise. */
  done: readonly string[]
  /** Instead of `nothing` when there is nothing to list (and the run did not fail). */
  nothing?: { planned?: string; done?: string }
}

export interface ActionSummary {
  /** `dokku-service: postgres uro-db`; ` (dry run)` is added in a dry run. */
  heading: string
  mode: ConvergeMode
  /** The action's own tables, the one-row overview first; a title makes a level-3 heading above one. */
  tables: readonly { title?: string; rows: SummaryTable }[]
  /** The engine's plan: its steps as the resource | current | wanted | action table, its unmanaged resources listed. */
  plan?: Plan
  /** The action's own lines, before the notices (where things stand now). */
  lines?: readonly string[]
  notices?: readonly string[]
  notes?: readonly string[]
  failure?: Error
  changes?: ChangeLines
  /** Further collapsed blocks, after the changes: title and HTML body. */
  details?: readonly { title: string; html: string }[]
}

/** The words for the changes' block, by mode: what a person looks for in each. */
export function changesTitle(mode: ConvergeMode): string {
  return mode === 'apply' ? 'What changed' : 'What would change'
}

/** Writes the job summary in the order every action uses (see ActionSummary). */
export async function writeActionSummary(parts: ActionSummary): Promise<void> {
  const dryRun = parts.mode !== 'apply'
  await writeJobSummary((summary) => {
    summary.addHeading(`${parts.heading}${parts.mode === 'dry-run' ? ' (dry run)' : parts.mode === 'check' ? ' (check)' : ''}`, 2)
    for (const table of parts.tables) {
      if (table.title) summary.addHeading(table.title, 3)
      summary.addTable(table.rows)
    }
    if (parts.plan && parts.plan.steps.length > 0) summary.addHeading('Plan', 3).addTable(planTable(parts.plan))
    const list = [
      ...(parts.lines ?? []),
      ...(parts.notices ?? []).map((notice) => `warning: ${notice}`),
      ...(parts.notes ?? []).map((note) => `note: ${note}`),
      ...(parts.plan?.unmanaged ?? []).map(unmanagedLine),
      ...(parts.failure ? [`error: ${errorMessage(parts.failure)}`] : [])
    ]
    if (list.length > 0) summary.addList(list)
    if (parts.changes) {
      const { planned, done, nothing } = parts.changes
      const empty = dryRun
        ? (nothing?.planned ?? 'nothing would change: the host is already as asked')
        : parts.failure
          ? 'nothing'
          : (nothing?.done ?? 'nothing: the host is already as asked')
      summary.addDetails(changesTitle(parts.mode), listOrNothing(dryRun ? planned : done, empty))
    }
    for (const block of parts.details ?? []) summary.addDetails(block.title, block.html)
  })
}
