import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runnerTools, TOOL_NAME } from '../../src/actions/backup-run/manifests.ts'
import { repoRoot } from '../support/actions.ts'

describe('the tool version', () => {
  it('is package.json\'s, the one the release script checks, and every backup manifest records it', () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
    expect(runnerTools()[TOOL_NAME]).toBe(version)
  })
})
