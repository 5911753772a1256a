import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CommonInputs } from '../../src/core/inputs/common.js'
import { actionMetadataFiles, repoRoot } from '../support/actions.js'

interface ActionYaml {
  name: string
  description: string
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs?: Record<string, { description: string }>
  runs: { using: string; main: string; post?: string; 'post-if'?: string }
}

const actions = actionMetadataFiles().map((file) => ({ file, meta: parse(readFileSync(file, 'utf8')) as ActionYaml }))

/** The input names an action's code reads besides the common ones (its inputs.ts, when it has one). */
async function actionInputs(entry: string): Promise<string[]> {
  const path = join(repoRoot, 'src/actions', entry, 'inputs.ts')
  if (!existsSync(path)) return []
  const module = (await import(path)) as { Inputs?: Record<string, string> }
  return Object.values(module.Inputs ?? {})
}

describe('action metadata', () => {
  it('has the five actions of the design card and the root action', () => {
    expect(actions.map((a) => a.file.replace(`${repoRoot}/`, '')).sort()).toEqual([
      'action.yml',
      'actions/backup-run/action.yml',
      'actions/caddy-config/action.yml',
      'actions/dokku-deploy/action.yml',
      'actions/dokku-service/action.yml',
      'actions/seaweed-provision/action.yml'
    ])
  })

  it.each(actions)('$file runs on node24 from a dist/ bundle built from src/actions', ({ file, meta }) => {
    expect(meta.runs.using).toBe('node24')
    const main = resolve(dirname(file), meta.runs.main)
    const entry = main.replace(`${repoRoot}/dist/`, '').replace('/index.js', '')
    expect(main).toBe(join(repoRoot, 'dist', entry, 'index.js'))
    expect(existsSync(join(repoRoot, 'src/actions', entry, 'index.ts'))).toBe(true)
    if (meta.runs.post) expect(resolve(dirname(file), meta.runs.post)).toMatch(new RegExp(`^${repoRoot}/dist/`))
  })

  it.each(actions)('$file declares the common inputs identically, each described', ({ meta }) => {
    const reference = actions[0]!.meta.inputs
    for (const name of Object.values(CommonInputs)) {
      expect(meta.inputs[name], name).toEqual(reference[name])
    }
    for (const [name, input] of Object.entries(meta.inputs)) {
      expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(input.description, name).toBeTruthy()
    }
    for (const [name, output] of Object.entries(meta.outputs ?? {})) expect(output.description, name).toBeTruthy()
  })

  it.each(actions)('$file declares exactly the inputs its code reads', async ({ file, meta }) => {
    const main = resolve(dirname(file), meta.runs.main)
    const entry = main.replace(`${repoRoot}/dist/`, '').replace('/index.js', '')
    const read = [...Object.values(CommonInputs), ...(await actionInputs(entry))].sort()
    expect(Object.keys(meta.inputs).sort()).toEqual(read)
  })

  it('has one source directory per bundle and nothing else', () => {
    const entries = readdirSync(join(repoRoot, 'src/actions')).sort()
    const bundled = actions.map(({ file, meta }) => resolve(dirname(file), meta.runs.main).replace(`${repoRoot}/dist/`, '').replace('/index.js', '')).sort()
    expect(entries).toEqual(bundled)
  })
})
