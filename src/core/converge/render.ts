// A plan for people: log lines, the job-summary table and the JSON of the `plan` output. Every
// string passes through redaction; steps carry no secret values in the first place (plan.ts).
import type { SummaryTable } from '../github/summary.js'
import { redact } from '../secrets.js'
import type { Plan, Step, Unmanaged } from './plan.js'

/** One line per step: `uro-db (service): create — absent → postgres: it does not exist yet`. */
export function stepLine(step: Step): string {
  const change = step.current === step.wanted ? step.wanted : `${step.current} → ${step.wanted}`
  return redact(`${step.resource}: ${step.action} (${change}): ${step.reason}`)
}

/** The plan as log lines: steps, then notes, notices and the unmanaged resources. */
export function renderPlanLines(plan: Plan): string[] {
  const lines = plan.steps.length === 0 ? ['Nothing to do: the host is already as asked.'] : plan.steps.map((step, i) => `${i + 1}. ${stepLine(step)}`)
  for (const note of plan.notes) lines.push(redact(`note: ${note}`))
  for (const item of plan.unmanaged) lines.push(unmanagedLine(item))
  return lines
}

export function unmanagedLine(item: Unmanaged): string {
  return redact(`not managed, left as it is: ${item.resource}: ${item.note}`)
}

/** The job summary's table: resource | current | wanted | action, one row per step. */
export function planTable(plan: Plan): SummaryTable {
  const header = ['resource', 'current', 'wanted', 'action'].map((data) => ({ data, header: true }))
  return [header, ...plan.steps.map((step) => [step.resource, step.current, step.wanted, step.action].map((cell) => escapeCell(redact(cell))))]
}

function escapeCell(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** What the `plan` output holds: the steps' described fields only (never `detail`), as JSON. */
export interface PlanJson {
  steps: { resource: string; current: string; wanted: string; action: string; reason: string }[]
  notes: string[]
  notices: string[]
  unmanaged: Unmanaged[]
}

export function planJson(plan: Plan): string {
  const json: PlanJson = {
    steps: plan.steps.map(({ resource, current, wanted, action, reason }) => ({ resource, current, wanted, action, reason })),
    notes: plan.notes,
    notices: plan.notices,
    unmanaged: plan.unmanaged
  }
  return redact(JSON.stringify(json))
}
