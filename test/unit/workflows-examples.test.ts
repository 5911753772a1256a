// The ready-to-copy workflows and the repository's own CI are valid YAML that GitHub would load,
// and every step that uses a dokku-stack action names an action that exists, passes only inputs
// its action.yml declares and every input it requires. (actionlint checks the rest in CI:
// scripts/lint-workflows.mjs.)
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { repoRoot } from '../support/actions.js'

interface Step {
  id?: string
  name?: string
  uses?: string
  with?: Record<string, unknown>
}
interface Workflow {
  on?: unknown
  jobs?: Record<string, { steps?: Step[]; uses?: string }>
}
interface ActionYaml {
  inputs?: Record<string, { required?: boolean; default?: unknown }>
}

function workflowFiles(dir: string): string[] {
  const path = join(repoRoot, dir)
  if (!existsSync(path)) return []
  return readdirSync(path)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`)
    .sort()
}

const examples = workflowFiles('workflows-examples')
const files = [...examples, ...workflowFiles('.github/workflows')]

/** Parses like GitHub does: any YAML error fails, and so does a key given twice. */
function load(file: string): Workflow {
  const document = parseDocument(readFileSync(join(repoRoot, file), 'utf8'), { uniqueKeys: true, prettyErrors: true })
  const problems = [...document.errors, ...document.warnings].map((e) => e.message)
  expect(problems, file).toEqual([])
  return document.toJS() as Workflow
}

/** `OWNER/dokku-stack[/PATH]@REF` → the action's directory in this repository ('' for the root action). */
function dokkuStackAction(uses: string): { path: string; ref: string } | undefined {
  const match = /^[A-Za-z0-9_.-]+\/dokku-stack(?:\/([^@]+))?@(.+)$/.exec(uses)
  return match ? { path: match[1] ?? '', ref: match[2] ?? '' } : undefined
}

function dokkuStackSteps(workflow: Workflow): { job: string; step: Step; action: { path: string; ref: string } }[] {
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, body]) =>
    (body.steps ?? []).flatMap((step) => {
      const action = step.uses === undefined ? undefined : dokkuStackAction(step.uses)
      return action ? [{ job, step, action }] : []
    })
  )
}

describe('workflow files', () => {
  it('finds the five examples', () => {
    expect(examples).toEqual(['workflows-examples/deploy-on-merge.yml', 'workflows-examples/migrate-from-kubernetes.yml', 'workflows-examples/nightly-backup.yml', 'workflows-examples/restore-drill.yml', 'workflows-examples/review-apps.yml'])
  })

  it.each(files)('%s is valid YAML with triggers and jobs', (file) => {
    const workflow = load(file)
    expect(workflow.on, `${file}: no "on:"`).toBeDefined()
    expect(Object.keys(workflow.jobs ?? {}).length, `${file}: no jobs`).toBeGreaterThan(0)
  })

  it.each(examples)('%s uses dokku-stack actions that exist, with inputs they declare and all they require', (file) => {
    const steps = dokkuStackSteps(load(file))
    expect(steps.length, `${file} uses no dokku-stack action`).toBeGreaterThan(0)
    for (const { job, step, action } of steps) {
      const where = `${file}: job ${job}, step ${step.id ?? step.name ?? step.uses}`
      // The README's version policy: workflows follow the moving major tag.
      expect(action.ref, where).toBe('v1')
      const metadata = join(repoRoot, action.path, 'action.yml')
      expect(existsSync(metadata), `${where}: ${action.path || '(root)'}/action.yml does not exist`).toBe(true)
      const inputs = (parseDocument(readFileSync(metadata, 'utf8')).toJS() as ActionYaml).inputs ?? {}
      const given = Object.keys(step.with ?? {})
      expect(given.filter((name) => !(name in inputs)), `${where}: inputs its action.yml does not declare`).toEqual([])
      const required = Object.entries(inputs)
        .filter(([, input]) => input.required === true && (input.default === undefined || input.default === ''))
        .map(([name]) => name)
      expect(required.filter((name) => !given.includes(name)), `${where}: required inputs missing`).toEqual([])
    }
  })
})

describe('dokkuStackAction', () => {
  it('reads the action path and ref of a dokku-stack `uses:`, and nothing else', () => {
    expect(dokkuStackAction('your-org/dokku-stack/actions/backup-run@v1')).toEqual({ path: 'actions/backup-run', ref: 'v1' })
    expect(dokkuStackAction('your-org/dokku-stack@v1.2.3')).toEqual({ path: '', ref: 'v1.2.3' })
    expect(dokkuStackAction('actions/checkout@v4')).toBeUndefined()
    expect(dokkuStackAction('your-org/dokku-stack-fork/actions/x@v1')).toBeUndefined()
  })
})
