// Which commands one observation may answer once, and how the memo forgets. That the root action
// really sends each read once on a converged host is proven against the sandbox
// (test/integration/stack/stack.test.ts).
import { describe, expect, it } from 'vitest'
import { readKind, ReadMemo } from '../../../src/core/dokku/read-memo.js'
import type { ExecResult } from '../../../src/core/ssh/types.js'

function answer(stdout: string): ExecResult {
  return { code: 0, signal: null, stdout, stderr: '' }
}

describe('readKind', () => {
  it('remembers reports, lists, existence checks, exports and the scale', () => {
    for (const argv of [
      ['ps:report', 'web', '--format', 'json'],
      ['caddy:report', '--global', '--format', 'json'],
      ['--quiet', 'apps:list'],
      ['apps:exists', 'web'],
      ['config:export', '--format', 'json', 'web'],
      ['postgres:info', 'db'],
      ['redis:exists', 'cache'],
      ['plugin:list', '--format', 'json'],
      ['caddy:labels:show', 'web'],
      ['ps:scale', 'web', '--format', 'json'],
      ['--quiet', 'ps:scale', 'web']
    ])
      expect(readKind(argv), argv.join(' ')).toBe('remember')
  })

  it('sends again what moves on by itself, without taking it for a write', () => {
    for (const argv of [['apps:locked', 'web'], ['caddy:logs', '--num', '1000'], ['logs', 'web', '--num', '20'], ['builds:report', 'web', '--format', 'json'], ['enter', 'store', 'web', 'wget', '-qO-', 'http://localhost:9333/']])
      expect(readKind(argv), argv.join(' ')).toBe('read')
  })

  it('takes everything else for a write', () => {
    for (const argv of [['ps:scale', 'web', 'web=1'], ['config:set', '--no-restart', 'web', 'A=1'], ['postgres:link', 'db', 'web'], ['git:from-image', 'web', 'img'], ['caddy:set', '--global', 'log-level', 'INFO'], ['apps:create', 'web']])
      expect(readKind(argv), argv.join(' ')).toBe('write')
  })
})

describe('ReadMemo', () => {
  it('answers the same read once, also while the first is still in flight', async () => {
    const memo = new ReadMemo()
    let sent = 0
    const run = async () => answer(`report ${++sent}`)
    const [a, b] = await Promise.all([memo.read(['ps:report', 'web'], run), memo.read(['ps:report', 'web'], run)])
    expect(sent).toBe(1)
    expect(a).toBe(b)
    await memo.read(['ps:report', 'api'], run)
    expect(sent).toBe(2)
  })

  it('reads again after forget', async () => {
    const memo = new ReadMemo()
    let sent = 0
    const run = async () => answer(`report ${++sent}`)
    expect((await memo.read(['ps:report', 'web'], run)).stdout).toBe('report 1')
    memo.forget()
    expect((await memo.read(['ps:report', 'web'], run)).stdout).toBe('report 2')
  })

  it('does not keep a read that failed to run', async () => {
    const memo = new ReadMemo()
    await expect(memo.read(['ps:report', 'web'], () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost')
    expect(memo.size).toBe(0)
    expect((await memo.read(['ps:report', 'web'], async () => answer('ok'))).stdout).toBe('ok')
  })
})
