import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/actions.js'

// What someone copying an example needs to know before it runs: every variable and secret it
// reads is named in its header, and every dokku-stack step reaches a host on any SSH port.
// Read as text, line by line, so that this holds even for a file another check finds invalid.

const dir = join(repoRoot, 'workflows-examples')
const examples = readdirSync(dir)
  .filter((name) => name.endsWith('.yml'))
  .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }))

/** The comment lines at the top of the file, before the first YAML key. */
function header(text: string): string {
  const lines = text.split('\n')
  return lines.slice(0, lines.findIndex((line) => !line.startsWith('#'))).join('\n')
}

/** The `with:` lines of each step that uses one of this repository's actions. */
function dokkuStackSteps(text: string): { action: string; withLines: string[] }[] {
  const lines = text.split('\n')
  const steps: { action: string; withLines: string[] }[] = []
  lines.forEach((line, i) => {
    const uses = /^(\s*)(?:- )?uses: \S+\/actions\/([a-z-]+)@/.exec(line)
    if (!uses) return
    const stepIndent = (uses[1] as string).length
    const withLines: string[] = []
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j] as string
      if (next.trim() === '') continue
      const indent = next.length - next.trimStart().length
      if (indent < stepIndent || (indent === stepIndent && next.trimStart().startsWith('- '))) break
      withLines.push(next.trim())
    }
    steps.push({ action: uses[2] as string, withLines })
  })
  return steps
}

describe('workflow examples', () => {
  it('are the five of the README', () => {
    expect(examples.map((e) => e.name).sort()).toEqual(['deploy-on-merge.yml', 'migrate-from-kubernetes.yml', 'nightly-backup.yml', 'restore-drill.yml', 'review-apps.yml'])
  })

  it.each(examples)('$name names every variable and secret it reads in its header', ({ text }) => {
    const body = text.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n')
    const used = new Set([...body.matchAll(/\$\{\{[^}]*?\b(vars|secrets)\.([A-Z0-9_]+)/g)].map((m) => m[2] as string))
    expect(used.size).toBeGreaterThan(0)
    for (const name of used) expect(header(text), name).toMatch(new RegExp(`\\b${name}\\b`))
  })

  it.each(examples)('$name passes host, ssh-port and the pinned host key to every dokku-stack step', ({ text }) => {
    const steps = dokkuStackSteps(text)
    expect(steps.length).toBeGreaterThan(0)
    for (const step of steps)
      for (const input of ['host', 'ssh-port', 'ssh-private-key', 'ssh-host-key'])
        expect(step.withLines.some((line) => line.startsWith(`${input}:`)), `${step.action}: ${input}`).toBe(true)
  })
})
