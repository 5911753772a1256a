// Hostile strings (test/support/hostile.ts) in every place a stack file takes a name, a key or a
// value: each is refused with a clear error or kept byte for byte, and never crashes the parser.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDocument, stringify } from 'yaml'
import { parseStackFile, StackFileError } from '../../../src/core/stack/file.ts'
import type { StackSpec } from '../../../src/core/stack/model.ts'
import { repoRoot } from '../../support/actions.ts'
import { hostileCorpus } from '../../support/hostile.ts'
import { captureStdout } from '../../support/inputs.ts'
import { recordReliability } from '../../support/reliability.ts'

const corpus = hostileCorpus()
const FILE = 'dokku-stack.yml'
/** A YAML double-quoted scalar holding exactly `value` (JSON's escapes are YAML's). */
const quoted = (value: string) => JSON.stringify(value)

type Outcome = { kept: StackSpec } | { refused: string[] }

/** Parses `text`; what the parser masks (`::add-mask::` for a misplaced secret) is captured, not printed. */
function parse(text: string): Outcome {
  let outcome: Outcome | undefined
  captureStdout(() => {
    try {
      outcome = { kept: parseStackFile(text, FILE).spec }
    } catch (error) {
      if (!(error instanceof StackFileError)) throw error
      outcome = { refused: error.message.split('\n').slice(1) }
    }
  })
  return outcome as Outcome
}

/** Every refusal is whole lines of `file:line:column: … — fix`, with no control, format or separator character to break or disguise a log line. */
function expectClearRefusal(lines: string[], id: string): void {
  expect(lines.length, id).toBeGreaterThan(0)
  for (const line of lines) {
    expect(line, id).toMatch(/^(dokku-stack\.yml:\d+:\d+: .+ — .+|… and \d+ more\.)$/s)
    expect(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(line), `${id}: ${JSON.stringify(line)}`).toBe(false)
  }
}

const places: { name: string; text: (value: string) => string; kept: (spec: StackSpec) => string[]; secret?: boolean }[] = [
  { name: 'an app name', text: (v) => `version: 1\napps:\n  ${quoted(v)}: {}\n`, kept: (s) => Object.keys(s.apps) },
  { name: 'a service name', text: (v) => `version: 1\nservices:\n  ${quoted(v)}: { engine: redis }\n`, kept: (s) => Object.keys(s.services) },
  { name: 'a config key', text: (v) => `version: 1\napps:\n  uro:\n    config: { ${quoted(v)}: "x" }\n`, kept: (s) => Object.keys(s.apps.uro?.config ?? {}) },
  { name: 'a config value', text: (v) => `version: 1\napps:\n  uro:\n    config: { KEY: ${quoted(v)} }\n`, kept: (s) => Object.values(s.apps.uro?.config ?? {}) },
  { name: 'a bucket', text: (v) => `version: 1\nobject-store: { buckets: [${quoted(v)}] }\n`, kept: (s) => s.objectStore?.buckets ?? [] },
  { name: 'a domain', text: (v) => `version: 1\napps:\n  uro:\n    port: 4000\n    domains: [${quoted(v)}]\n`, kept: (s) => s.apps.uro?.domains ?? [] },
  { name: 'a storage mount', text: (v) => `version: 1\napps:\n  uro:\n    storage: [${quoted(v)}]\n`, kept: (s) => (s.apps.uro?.storage ?? []).map((m) => `${m.source}:${m.target}`) },
  { name: 'a secret name', text: (v) => `version: 1\napps:\n  uro:\n    secrets: [${quoted(v)}]\n`, kept: (s) => s.apps.uro?.secrets ?? [], secret: true }
]

describe('hostile strings in a stack file', () => {
  for (const place of places) {
    it(`as ${place.name} are refused clearly or kept byte for byte`, () => {
      let kept = 0
      let refused = 0
      const broken: string[] = []
      for (const { id, value } of corpus) {
        try {
          const outcome = parse(place.text(value))
          if ('kept' in outcome) {
            expect(place.kept(outcome.kept), id).toEqual([value])
            kept++
          } else {
            expectClearRefusal(outcome.refused, id)
            // Whatever sits under secrets is never repeated, in part or whole.
            if (place.secret && value.length >= 3) expect(outcome.refused.join('\n').includes(value), id).toBe(false)
            refused++
          }
        } catch (error) {
          broken.push(`${id}: ${(error as Error).message.split('\n')[0]}`)
        }
      }
      recordReliability('hostile-input', `stack file: ${place.name}`, { tried: corpus.length, held: kept + refused, details: { refused, accepted: kept } })
      expect(broken.slice(0, 10)).toEqual([])
      expect(kept + refused).toBe(corpus.length)
      // Both outcomes happen: the corpus has plausible values as well as tricks.
      if (place.name === 'a config value') expect(kept).toBeGreaterThan(corpus.length / 2)
      else expect(refused).toBeGreaterThan(corpus.length / 2)
    })
  }

  it('such as __proto__ and constructor are plain names: kept as given, never an object\'s built-ins', () => {
    const text = 'version: 1\nservices:\n  __proto__: { engine: redis }\napps:\n  uro:\n    services: [__proto__]\n    config: { __proto__: "x", constructor: "y" }\n'
    const outcome = parse(text)
    expect(outcome).toEqual({ kept: expect.anything() })
    const spec = (outcome as { kept: StackSpec }).kept
    expect(Object.keys(spec.services)).toEqual(['__proto__'])
    expect(Object.entries(spec.apps.uro?.config ?? {})).toEqual([['__proto__', 'x'], ['constructor', 'y']])
    expect(parse('version: 1\napps:\n  uro:\n    services: [toString]\n')).toEqual({
      refused: ['dokku-stack.yml:4:16: apps.uro.services[0]: "toString" is not a service under services — add it to services, or correct the name']
    })
  })

  it('values of every kind in every place of the example are refused clearly or accepted, never a crash', () => {
    const example = parseDocument(readFileSync(join(repoRoot, 'dokku-stack.yml'), 'utf8')).toJS() as unknown
    const paths: (string | number)[][] = []
    const walk = (node: unknown, path: (string | number)[]): void => {
      if (path.length > 0) paths.push(path)
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i]))
      else if (node !== null && typeof node === 'object') for (const [key, value] of Object.entries(node)) walk(value, [...path, key])
    }
    walk(example, [])
    expect(paths.length).toBeGreaterThan(30)
    const kinds: unknown[] = [null, 0, -1, 1.5, true, '', 'x', [], [null], [[]], {}, { a: 1 }, { 'object-store': [] }]
    let tried = 0
    for (const path of paths)
      for (const kind of kinds) {
        const data = structuredClone(example) as Record<string | number, unknown>
        let parent = data
        for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>
        parent[path.at(-1) as string | number] = kind
        const id = `${path.join('.')} = ${JSON.stringify(kind)}`
        const outcome = parse(stringify(data))
        if ('refused' in outcome) expectClearRefusal(outcome.refused, id)
        tried++
      }
    expect(tried).toBe(paths.length * kinds.length)
  })

  it('as the whole file are refused with a clear error, never a crash', () => {
    for (const { id, value } of corpus) {
      const outcome = parse(value)
      expect('refused' in outcome, id).toBe(true)
      if ('refused' in outcome) expectClearRefusal(outcome.refused, id)
    }
  })
})
