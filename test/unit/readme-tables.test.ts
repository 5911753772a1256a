import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { repoRoot } from '../support/actions.js'

// Every action's README has inputs and outputs tables that match its action.yml: every input with
// the same default (or "(required)"), every output, nothing else. The tables are written by
// `node scripts/readme-tables.ts`; this reads them back as Markdown, independently of that script.

interface ActionYaml {
  inputs?: Record<string, { required?: boolean; default?: string }>
  outputs?: Record<string, unknown>
}

const actions = readdirSync(join(repoRoot, 'actions'))
  .filter((name) => existsSync(join(repoRoot, 'actions', name, 'action.yml')))
  .sort()
  .map((name) => ({
    name,
    meta: parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as ActionYaml,
    readme: existsSync(join(repoRoot, 'actions', name, 'README.md')) ? readFileSync(join(repoRoot, 'actions', name, 'README.md'), 'utf8') : ''
  }))

/** The rows of the first Markdown table whose header row starts with `| <first> |`, as cells. */
function table(markdown: string, first: string): string[][] | undefined {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => new RegExp(`^\\|\\s*${first}\\s*\\|`).test(line))
  if (start === -1) return undefined
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    // Split on pipes that are not escaped (\|), then drop the empty cells outside the outer pipes.
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()))
  }
  return rows
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1')

describe('README tables', () => {
  it('cover the five actions', () => {
    expect(actions.map((a) => a.name)).toEqual(['backup-run', 'caddy-config', 'dokku-deploy', 'dokku-service', 'seaweed-provision'])
  })

  it.each(actions)('actions/$name/README.md lists every input of action.yml with its default', ({ meta, readme }) => {
    const rows = table(readme, 'input')
    expect(rows, 'no table starting with "| input |"; run node scripts/readme-tables.ts').toBeDefined()
    const documented = new Map((rows ?? []).map(([name, shown]) => [unquote(name ?? ''), shown ?? '']))
    expect([...documented.keys()].sort()).toEqual(Object.keys(meta.inputs ?? {}).sort())
    for (const [name, input] of Object.entries(meta.inputs ?? {})) {
      const expected = input.default !== undefined && input.default !== '' ? `\`${input.default}\`` : input.required ? '(required)' : ''
      expect(documented.get(name), name).toBe(expected)
    }
  })

  it.each(actions)('actions/$name/README.md lists every output of action.yml', ({ meta, readme }) => {
    const declared = Object.keys(meta.outputs ?? {}).sort()
    const rows = table(readme, 'output')
    if (declared.length === 0) {
      expect(rows).toBeUndefined()
      expect(readme).toContain('This action sets no outputs.')
      return
    }
    expect(rows, 'no table starting with "| output |"; run node scripts/readme-tables.ts').toBeDefined()
    expect((rows ?? []).map(([name]) => unquote(name ?? '')).sort()).toEqual(declared)
  })
})
