// The entry side every action shares: the outcome word and the summary's pieces.
import { describe, expect, it } from 'vitest'
import { escapeHtml, headedTable, listOrNothing, outcomeWord } from '../../../src/core/converge/entry.js'

describe('outcomeWord', () => {
  it('says failed first, then the dry run with its count, then changed or not', () => {
    expect(outcomeWord({ mode: 'apply', planned: 3, changed: true, failed: true })).toBe('failed')
    expect(outcomeWord({ mode: 'dry-run', planned: 2, changed: false, failed: false })).toBe('dry run: 2 step(s) planned')
    expect(outcomeWord({ mode: 'dry-run', planned: 0, changed: false, failed: false })).toBe('dry run: nothing to do')
    expect(outcomeWord({ mode: 'apply', planned: 2, changed: true, failed: false })).toBe('changed')
    expect(outcomeWord({ mode: 'apply', planned: 0, changed: false, failed: false })).toBe('unchanged')
  })

  it("takes the action's own words", () => {
    const words = { changed: 'destroyed', unchanged: 'already absent', failed: 'failed, rolled back' }
    expect(outcomeWord({ mode: 'apply', planned: 1, changed: true, failed: false }, words)).toBe('destroyed')
    expect(outcomeWord({ mode: 'apply', planned: 0, changed: false, failed: false }, words)).toBe('already absent')
    expect(outcomeWord({ mode: 'apply', planned: 1, changed: false, failed: true }, words)).toBe('failed, rolled back')
  })

  it('says drift for a check that found differences, no drift for one that did not', () => {
    expect(outcomeWord({ mode: 'check', planned: 2, changed: false, failed: true })).toBe('drift: 2 difference(s)')
    expect(outcomeWord({ mode: 'check', planned: 0, changed: false, failed: true })).toBe('failed')
    expect(outcomeWord({ mode: 'check', planned: 0, changed: false, failed: false })).toBe('no drift')
  })
})

describe('summary pieces', () => {
  it('lists lines, or says nothing in the words given', () => {
    expect(listOrNothing(['a', 'b'])).toBe('- a<br>- b')
    expect(listOrNothing([])).toBe('nothing')
    expect(listOrNothing([], 'nothing would change')).toBe('nothing would change')
  })

  it('builds a table from a header row and data rows, and escapes text for HTML', () => {
    expect(headedTable(['a', 'b'], [['1', '2']])).toEqual([[{ data: 'a', header: true }, { data: 'b', header: true }], ['1', '2']])
    expect(escapeHtml('<x & y>')).toBe('&lt;x &amp; y&gt;')
  })
})
