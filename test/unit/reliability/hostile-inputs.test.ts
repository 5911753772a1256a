// Issue 17, "Hostile input": every string of the generated corpus through every input that reaches
// the host, the runner's shell or a URL, with each action's real input reader. Each is refused
// before anything connects (a ConfigurationError naming the input, showing no secret) or accepted
// and found byte for byte where the input belongs. What accepted values do on the host is proven
// over the real sshd in test/integration/reliability/hostile-argv.test.ts.
import { afterAll, describe, expect, it } from 'vitest'
import * as core from '@actions/core'
import { InputReader } from '../../../src/core/inputs/readers.ts'
import { clearSecretsForTest } from '../../../src/core/secrets.ts'
import { HOSTILE_CATEGORIES, hostileCorpus, MINIMUM_CORPUS } from '../../support/hostile.ts'
import { INPUT_TABLES, inputVariable } from '../../support/hostile-inputs/index.ts'
import { KNOWN_GAPS } from '../../support/hostile-inputs/known-gaps.ts'
import { drySendProblem } from '../../support/hostile-inputs/dry-send.ts'
import { caseName, tryHostile } from '../../support/hostile-inputs/trial.ts'
import { captureStdout, captureStdoutAsync } from '../../support/inputs.ts'
import { recordReliability } from '../../support/reliability.ts'

const corpus = hostileCorpus()
afterAll(() => clearSecretsForTest())

describe('the hostile corpus', () => {
  it('is at least 1,000 distinct strings, in every category, the same on every run', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(MINIMUM_CORPUS)
    expect(new Set(corpus.map((h) => h.value)).size).toBe(corpus.length)
    expect(new Set(corpus.map((h) => h.id)).size).toBe(corpus.length)
    for (const category of HOSTILE_CATEGORIES) expect(corpus.filter((h) => h.category === category).length, category).toBeGreaterThanOrEqual(20)
    expect(hostileCorpus()).toEqual(corpus)
    expect(hostileCorpus({ seed: 1 })).not.toEqual(corpus)
  })

  it('reads inputs as the runner hands them over', () => {
    process.env[inputVariable('review-app-name')] = 'x y'
    try {
      expect(core.getInput('review-app-name', { trimWhitespace: false })).toBe('x y')
    } finally {
      delete process.env[inputVariable('review-app-name')]
    }
  })
})

for (const table of INPUT_TABLES) {
  describe(table.action, () => {
    it('reads its base inputs without error', () => {
      captureStdout(() => expect(() => table.read(new InputReader((name) => table.base[name] ?? ''))).not.toThrow())
    })

    for (const c of table.cases) {
      it(`${c.input}${c.variant ? ` (${c.variant})` : ''}: every hostile string is refused clearly or arrives intact`, async () => {
        const broken: string[] = []
        let refused = 0
        let accepted = 0
        const sendable: { id: string; settings: unknown }[] = []
        captureStdout(() => {
          for (const hostile of corpus) {
            const trial = tryHostile(table, c, hostile)
            if (trial.kind === 'refused') refused++
            else if (trial.kind === 'accepted') {
              accepted++
              if (trial.landed !== undefined) sendable.push({ id: hostile.id, settings: trial.settings })
            } else broken.push(`${hostile.id}: ${trial.problem}`)
          }
        })
        // Accepted values that go to the host must also be sendable, or they fail after connecting.
        await captureStdoutAsync(async () => {
          for (const { id, settings } of sendable) {
            const problem = await drySendProblem(c, settings)
            if (problem !== undefined) {
              broken.push(`${id}: ${problem}`)
              accepted--
            }
          }
        })
        clearSecretsForTest()
        const name = caseName(table, c)
        const gaps = KNOWN_GAPS.filter((gap) => gap.case === name)
        const isKnownGap = (line: string) => gaps.some((gap) => line.startsWith(`${gap.category}-`))
        const known = broken.filter(isKnownGap)
        recordReliability('hostile-input', name, { tried: corpus.length, held: refused + accepted, details: { refused, accepted, knownGap: known.length } })
        expect(broken.filter((line) => !isKnownGap(line)).slice(0, 20)).toEqual([])
        // A gap that no longer occurs was fixed: remove it from known-gaps.ts.
        for (const gap of gaps) expect(known.some((line) => line.startsWith(`${gap.category}-`)), `${name} ${gap.category} no longer fails`).toBe(true)
        expect(refused + accepted + broken.length).toBe(corpus.length)
      })
    }
  })
}
