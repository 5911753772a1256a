import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/actions.js'

// The direction of dependency DESIGN.md fixes, read from the import statements themselves.
const src = join(repoRoot, 'src')
const files = readdirSync(src, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(src, file))
const imports = new Map(
  files.map((file) => {
    const text = readFileSync(file, 'utf8')
    const targets = [...text.matchAll(/^(?:import|export)\b[^'"]*?'(\.[^']+)'/gms)].map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))
    return [file, targets]
  })
)
const name = (file: string) => relative(repoRoot, file)

/** Every module `file` imports, directly or through others, with the first chain that reaches it. */
function reachable(file: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[file, [file]]])
  const queue = [file]
  for (let next = queue.shift(); next !== undefined; next = queue.shift())
    for (const target of imports.get(next) ?? [])
      if (!chains.has(target)) {
        chains.set(target, [...(chains.get(next) as string[]), target])
        queue.push(target)
      }
  chains.delete(file)
  return chains
}

describe('import layers', () => {
  it('sees the imports it checks', () => {
    expect(imports.get(join(src, 'core/inputs/common.ts'))).toContain(join(src, 'core/ssh/settings.ts'))
  })

  it('core/ssh never imports core/inputs: the inputs read SSH settings, the transport does not read inputs', () => {
    const leaks = files
      .filter((file) => file.startsWith(join(src, 'core/ssh/')))
      .flatMap((file) => [...reachable(file).values()].filter((chain) => (chain.at(-1) as string).startsWith(join(src, 'core/inputs/'))))
    expect(leaks.map((chain) => chain.map(name).join(' → '))).toEqual([])
  })

  it('no module of src/core imports itself through others', () => {
    const cycles = files
      .filter((file) => file.startsWith(join(src, 'core/')))
      .flatMap((file) => [...reachable(file).values()].filter((chain) => imports.get(chain.at(-1) as string)?.includes(file)))
    expect(cycles.map((chain) => [...chain, chain[0] as string].map(name).join(' → '))).toEqual([])
  })
})
