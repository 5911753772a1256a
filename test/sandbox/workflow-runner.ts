// Runs the dokku-stack steps of an example workflow the way the GitHub runner would: each
// `uses: …/actions/<name>@…` step becomes `node dist/<name>/index.js` (the root action `<owner>/dokku-stack@…`
// becomes `node dist/stack/index.js`) with INPUT_* environment,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files; `${{ … }}` expressions are filled from a context;
// workflow commands on stdout are handled as the runner handles them (::add-mask:: masks every
// later line, ::group:: folds, ::error:: stands out). `run:` steps run in bash with their `env:`.
// Other `uses:` steps (actions/checkout) are stood in for by the caller's prepared workspace.
// `if:` status conditions are evaluated as the runner does: after a failed step only the steps
// whose condition asks for failure() or always() run, the others are skipped.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { captureTestOutput, registerTestSecret } from '../support/secret-registry.ts'

export interface WorkflowContext {
  vars: Record<string, string>
  secrets: Record<string, string>
  github: Record<string, string>
}

export interface StepRecord {
  id: string | undefined
  name: string
  /** skipped: not run (its `if:` was false, or an earlier step failed); stood-in: a `uses:` step the prepared workspace stands in for. */
  kind: 'action' | 'run' | 'skipped' | 'stood-in'
  exitCode: number
  outputs: Record<string, string>
  /** The outputs as the runner would show them in a log: masks applied. */
  shownOutputs: Record<string, string>
  /** What the runner would show in the log, masks applied. */
  log: string
  /** The job summary the step wrote, as text. */
  summary: string
}

interface WorkflowStep {
  id?: string
  name?: string
  uses?: string
  run?: string
  with?: Record<string, string | number | boolean>
  env?: Record<string, string | number | boolean>
  if?: string
}

export interface RunOptions {
  /** The workflow file; or give its text as workflowText (then workflowPath only names it in errors). */
  workflowPath: string
  workflowText?: string
  job: string
  repoRoot: string
  workspace: string
  context: WorkflowContext
  /** Extra environment for every step (GITHUB_SHA, GITHUB_EVENT_NAME, …). */
  env: Record<string, string>
  /** Receives each log line as it is produced (already masked). */
  print?: (line: string) => void
}

export async function runWorkflowJob(options: RunOptions): Promise<StepRecord[]> {
  const workflow = parse(options.workflowText ?? (await readFile(options.workflowPath, 'utf8'))) as { jobs: Record<string, { steps: WorkflowStep[] }> }
  const job = workflow.jobs[options.job]
  if (!job) throw new Error(`no job ${options.job} in ${options.workflowPath}`)
  const masks = new Set<string>(Object.values(options.context.secrets).filter((s) => s.length >= 4))
  for (const [name, value] of Object.entries(options.context.secrets)) registerTestSecret(`workflow secret ${name}`, value)
  const stepOutputs: Record<string, Record<string, string>> = {}
  const records: StepRecord[] = []
  const work = await mkdtemp(join(tmpdir(), 'workflow-run-'))
  let jobFailed = false
  try {
    for (const step of job.steps) {
      const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? 'step'
      if (!statusCondition(step.if, jobFailed, name)) {
        records.push({ id: step.id, name, kind: 'skipped', exitCode: 0, outputs: {}, shownOutputs: {}, log: '', summary: '' })
        options.print?.(`▷ ${name}: skipped (if: ${step.if ?? 'success()'})`)
        continue
      }
      const evaluate = (text: string) => substitute(text, options.context, stepOutputs)
      // `…/actions/<name>@…` is that action's bundle; `<owner>/dokku-stack@…` the root action's (dist/stack).
      const match = step.uses ? (/\/actions\/([a-z-]+)@/.exec(step.uses) ?? (/^[\w.-]+\/dokku-stack@/.test(step.uses) ? ['', 'stack'] : null)) : null
      if (step.uses && !match) {
        records.push({ id: step.id, name, kind: 'stood-in', exitCode: 0, outputs: {}, shownOutputs: {}, log: `(${step.uses}: stood in for by the prepared workspace)`, summary: '' })
        options.print?.(`▶ ${name}: stood in for by the prepared workspace`)
        continue
      }
      const outputFile = join(work, `output-${records.length}`)
      const summaryFile = join(work, `summary-${records.length}`)
      const stateFile = join(work, `state-${records.length}`)
      await Promise.all([writeFile(outputFile, ''), writeFile(summaryFile, ''), writeFile(stateFile, '')])
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? work,
        RUNNER_TEMP: work,
        GITHUB_WORKSPACE: options.workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_STATE: stateFile,
        ...options.env
      }
      for (const [key, value] of Object.entries(step.env ?? {})) env[key] = evaluate(String(value))
      let command: string[]
      if (match) {
        for (const [key, value] of Object.entries(step.with ?? {})) env[`INPUT_${key.toUpperCase()}`] = evaluate(String(value))
        command = [process.execPath, join(options.repoRoot, 'dist', match[1] as string, 'index.js')]
      } else {
        command = ['bash', '-e', '-c', evaluate(step.run ?? '')]
      }
      options.print?.(`▶ ${name}`)
      const { exitCode, log } = await spawnStep(command, options.workspace, env, masks, options.print)
      const outputs = parseOutputFile(await readFile(outputFile, 'utf8'))
      if (step.id) stepOutputs[step.id] = outputs
      const summary = htmlToText(await readFile(summaryFile, 'utf8'))
      const shownOutputs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, mask(v, masks)]))
      records.push({ id: step.id, name, kind: match ? 'action' : 'run', exitCode, outputs, shownOutputs, log, summary: mask(summary, masks) })
      captureTestOutput('workflow-step', [log, mask(summary, masks), JSON.stringify(shownOutputs)].join('\n'))
      if (exitCode !== 0) jobFailed = true
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return records
}

/**
 * A step's `if:` as far as it depends on the job's status: absent means success(); failure(),
 * success(), always() and !cancelled() (a run here is never cancelled). Anything else is an error,
 * not a guess.
 */
export function statusCondition(condition: string | undefined, jobFailed: boolean, step: string): boolean {
  const text = (condition ?? 'success()').replace(/^\$\{\{\s*(.*?)\s*\}\}$/, '$1').trim()
  switch (text) {
    case 'success()':
      return !jobFailed
    case 'failure()':
      return jobFailed
    case 'always()':
    case '!cancelled()':
      return true
    default:
      throw new Error(`step "${step}": unsupported condition if: ${condition}`)
  }
}

/** `${{ vars.X }}`, `${{ secrets.X }}`, `${{ github.x }}`, `${{ steps.ID.outputs.NAME }}`; anything else is an error, not a guess. */
export function substitute(text: string, context: WorkflowContext, steps: Record<string, Record<string, string>>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    const parts = expression.split('.')
    const [scope, first, second, third] = parts
    if (scope === 'vars' && parts.length === 2) return context.vars[first as string] ?? ''
    if (scope === 'secrets' && parts.length === 2) return context.secrets[first as string] ?? ''
    if (scope === 'github' && parts.length === 2) return context.github[first as string] ?? ''
    if (scope === 'steps' && second === 'outputs' && parts.length === 4) return steps[first as string]?.[third as string] ?? ''
    throw new Error(`unsupported expression \${{ ${expression} }}`)
  })
}

function spawnStep(command: string[], cwd: string, env: Record<string, string>, masks: Set<string>, print?: (line: string) => void): Promise<{ exitCode: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const log: string[] = []
    const handle = (line: string) => {
      const shown = workflowCommand(line, masks)
      if (shown === undefined) return
      const masked = mask(shown, masks)
      log.push(masked)
      print?.(masked)
    }
    let pending = { out: '', err: '' }
    const feed = (stream: 'out' | 'err') => (chunk: Buffer) => {
      const lines = (pending[stream] + chunk.toString()).split('\n')
      pending = { ...pending, [stream]: lines.pop() ?? '' }
      lines.forEach(handle)
    }
    child.stdout.on('data', feed('out'))
    child.stderr.on('data', feed('err'))
    child.on('error', reject)
    child.on('close', (code) => {
      if (pending.out) handle(pending.out)
      if (pending.err) handle(pending.err)
      resolve({ exitCode: code ?? 1, log: log.join('\n') })
    })
  })
}

/** What the runner shows for a line of step output; undefined for lines it swallows. */
function workflowCommand(line: string, masks: Set<string>): string | undefined {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
  if (!command) return line
  const [, name, value] = command as unknown as [string, string, string]
  const unescaped = value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
  switch (name) {
    case 'add-mask':
      for (const part of [unescaped, ...unescaped.split('\n')]) if (part.trim().length >= 4) masks.add(part)
      return undefined
    case 'group':
      return `  ┌ ${unescaped}`
    case 'endgroup':
      return undefined
    case 'debug':
      return undefined
    case 'error':
      return `  ERROR: ${unescaped}`
    case 'warning':
      return `  WARNING: ${unescaped}`
    case 'notice':
      return `  NOTICE: ${unescaped}`
    default:
      return line
  }
}

function mask(text: string, masks: Set<string>): string {
  let out = text
  for (const secret of [...masks].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join('***')
  return out
}

/** GITHUB_OUTPUT is `name<<DELIMITER\nvalue\nDELIMITER` blocks (as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i] as string)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] as string, i + 1)
      outputs[heredoc[1] as string] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if ((lines[i] as string).includes('=')) {
      const [key, ...rest] = (lines[i] as string).split('=')
      outputs[key as string] = rest.join('=')
    }
  }
  return outputs
}

/** The job summary is HTML from @actions/core's builder: render headings, tables and lists as text. */
export function htmlToText(html: string): string {
  return html
    .replace(/<h\d>(.*?)<\/h\d>/g, '\n## $1\n')
    .replace(/<\/t[hd]>\s*<t[hd][^>]*>/g, ' | ')
    .replace(/<tr>/g, '| ')
    .replace(/<\/tr>/g, ' |\n')
    .replace(/<li>/g, '- ')
    .replace(/<\/li>/g, '\n')
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<summary>(.*?)<\/summary>/g, '$1:\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

export function randomSecret(): string {
  return randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '')
}
