// The file inventory script on this machine's real sh, find and sha256sum (dash, GNU), in both of
// its forms: the GNU one (sha256sum -z, find -printf) and the portable one BusyBox images take,
// forced here by making the GNU check fail. Both must list odd names exactly, and agree.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { describeChange, diffInventories, INVENTORY_SCRIPT, inventoryCommand, LISTING_SCRIPT, parseInventory } from '../../../src/core/files/inventory.ts'

const root = mkdtempSync(join(tmpdir(), 'inventory-'))
const files: Record<string, Buffer> = {
  ' leading space': Buffer.from('a'),
  '-n': Buffer.from('echo would swallow me'),
  '--help': Buffer.alloc(0),
  'new\nline': Buffer.from('x\n'),
  'back\\slash and "quotes" \'here\'': Buffer.from('q'),
  'ünïcödé/файл 名前 😀': Buffer.from([0, 1, 2, 255]),
  'deep/a/b/c.bin': Buffer.alloc(300_000, 7),
  'tab\there': Buffer.from('t')
}
for (const [path, content] of Object.entries(files)) {
  mkdirSync(join(root, path, '..'), { recursive: true })
  writeFileSync(join(root, path), content)
}
mkdirSync(join(root, 'empty dir'))

/** Stand-in commands for the portable forms' test (outside the listed tree). */
const bins = mkdtempSync(join(tmpdir(), 'inventory-bin-'))

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  rmSync(bins, { recursive: true, force: true })
})

const expected = new Map(Object.entries(files).map(([path, content]) => [path, { path, size: content.length, sha256: createHash('sha256').update(content).digest('hex') }]))

describe('file inventory', () => {
  it('lists every regular file with its size and SHA-256, whatever its name (GNU form)', () => {
    const listed = parseInventory(execFileSync(inventoryCommand(root)[0] as string, inventoryCommand(root).slice(1)))
    expect(listed).toEqual(expected)
  })

  it('the portable form (one record a file, hashed from stdin) gives the same list', () => {
    const portable = INVENTORY_SCRIPT.replace('sha256sum -z /dev/null', 'false')
    expect(portable).not.toBe(INVENTORY_SCRIPT)
    const out = execFileSync('sh', ['-c', portable, 'sh', root])
    expect(out.toString('utf8')).not.toMatch(/^[0-9a-f]{64} {2}/)
    expect(parseInventory(out)).toEqual(expected)
  })

  it('a cut-off list or a foreign record is an error, not a shorter list', () => {
    const out = execFileSync('sh', inventoryCommand(root).slice(1)).toString('utf8')
    expect(() => parseInventory(out.slice(0, -5))).toThrow(/cut off|unexpected record|no size|sizes but/)
    expect(() => parseInventory('garbage\0')).toThrow(/unexpected record/)
  })

  it('diffs two trees: missing, different, same and extra files', () => {
    const source = parseInventory(execFileSync('sh', inventoryCommand(root).slice(1)))
    const target = new Map(source)
    target.delete('-n')
    target.set('tab\there', { path: 'tab\there', size: 1, sha256: '0'.repeat(64) })
    target.set('only-here', { path: 'only-here', size: 1, sha256: '1'.repeat(64) })
    const diff = diffInventories(source, target)
    expect(diff.missing.map((f) => f.path)).toEqual(['-n'])
    expect(diff.different.map((f) => f.path)).toEqual(['tab\there'])
    expect(diff.extra.map((f) => f.path)).toEqual(['only-here'])
    expect(diff.same).toHaveLength(Object.keys(files).length - 2)
  })

  it('the listing (names and sizes, no checksum) names the same files, in both forms', () => {
    const names = new Map([...expected].map(([path, file]) => [path, { ...file, sha256: '' }]))
    const listing = inventoryCommand(root, { checksums: false })
    expect(listing[2]).toBe(LISTING_SCRIPT)
    expect(parseInventory(execFileSync('sh', listing.slice(1)), { checksums: false })).toEqual(names)
    const portable = LISTING_SCRIPT.replace("-printf ''", '-no-such-test')
    expect(portable).not.toBe(LISTING_SCRIPT)
    expect(parseInventory(execFileSync('sh', ['-c', portable, 'sh', root]), { checksums: false })).toEqual(names)
    // Either parser refuses the other's output: a list with checksums is never taken for a listing.
    expect(() => parseInventory(execFileSync('sh', inventoryCommand(root).slice(1)), { checksums: false })).toThrow(/only names and sizes/)
    expect(() => parseInventory(execFileSync('sh', listing.slice(1)))).toThrow(/sizes but 0 checksums/)
  })

  it('a change between a listing and an inventory is told by names and sizes', () => {
    const before = parseInventory(execFileSync('sh', inventoryCommand(root, { checksums: false }).slice(1)), { checksums: false })
    const after = new Map(expected)
    expect(describeChange(before, after)).toBeUndefined()
    after.set('tab\there', { path: 'tab\there', size: 2, sha256: '0'.repeat(64) })
    after.set('added', { path: 'added', size: 1, sha256: '1'.repeat(64) })
    after.delete('-n')
    expect(describeChange(before, after)).toBe('1 file(s) added, 1 changed, 1 removed')
    // Against an inventory with checksums, the same size with other bytes is a change.
    const rewritten = new Map(expected)
    rewritten.set('-n', { ...(expected.get('-n') as { path: string; size: number; sha256: string }), sha256: '2'.repeat(64) })
    expect(describeChange(expected, rewritten)).toBe('1 changed')
  })

  it('the portable forms take sizes from stat, reading no file for them, and from wc -c only where stat fails', () => {
    const portableInventory = INVENTORY_SCRIPT.replace('sha256sum -z /dev/null', 'false')
    const portableListing = LISTING_SCRIPT.replace("-printf ''", '-no-such-test')
    const names = new Map([...expected].map(([path, file]) => [path, { ...file, sha256: '' }]))
    // A command that fails stands in for the one each form must not need.
    const withFailing = (command: string) => {
      const bin = join(bins, `no-${command}`)
      mkdirSync(bin, { recursive: true })
      writeFileSync(join(bin, command), '#!/bin/sh\nexit 1\n', { mode: 0o755 })
      return { ...process.env, PATH: `${bin}:${process.env.PATH}` }
    }
    for (const env of [withFailing('wc'), withFailing('stat')]) {
      expect(parseInventory(execFileSync('sh', ['-c', portableInventory, 'sh', root], { env }))).toEqual(expected)
      expect(parseInventory(execFileSync('sh', ['-c', portableListing, 'sh', root], { env }), { checksums: false })).toEqual(names)
    }
  })
})
