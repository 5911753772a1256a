// Which commands one observation may answer once, and how the memo forgets. That the root action
// really sends each read once on a converged host is proven against the sandbox
// (test/integration/stack/stack.test.ts).
import { describe, expect, it } from 'vitest'
import { readKind, ReadMemo, scopeOf } from '../../../src/core/dokku/read-memo.js'
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
      ['--quiet', 'ps:scale', 'web'],
      ['caddy:logs', '--num', '1']
    ])
      expect(readKind(argv), argv.join(' ')).toBe('remember')
  })

  it('sends again what moves on by itself, without taking it for a write', () => {
    for (const argv of [['apps:locked', 'web'], ['caddy:logs', '--num', '1000'], ['caddy:logs', '--num', '10'], ['logs', 'web', '--num', '20'], ['builds:report', 'web', '--format', 'json'], ['enter', 'store', 'web', 'wget', '-qO-', 'http://localhost:9333/']])
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

describe('what a write makes stale', () => {
  it('scopes a write to the app or service it names; --global, destroys and unknown writes reach everything', () => {
    expect(scopeOf(['config:set', '--encoded', '--no-restart', 'web', 'A=MQ=='])).toEqual({ names: new Set(['web', 'A=MQ==']) })
    expect(scopeOf(['postgres:link', 'db', 'web', '--alias', 'DATABASE', '--no-restart'])).toEqual({ names: new Set(['db', 'web', 'DATABASE']) })
    expect(scopeOf(['caddy:labels:add', 'web', 'caddy.tls', 'internal'])).toEqual({ names: new Set(['web', 'caddy.tls', 'internal']) })
    for (const argv of [['config:set', '--global', 'A=1'], ['caddy:set', '--global', 'letsencrypt-email', 'ops@example.org'], ['nginx:stop'], ['caddy:start'], ['apps:destroy', 'web', '--force'], ['postgres:destroy', 'db', '-f'], ['postgres:import', 'db'], ['plugin:install'], ['apps:rename', 'a', 'b']])
      expect(scopeOf(argv), argv.join(' ')).toBe('everything')
  })

  async function remembered(memo: ReadMemo, reads: string[][]): Promise<void> {
    for (const argv of reads) await memo.read(argv, async () => answer(argv.join(' ')))
  }

  it('a scoped write drops the reads naming what it names and the host-wide ones; the other apps\' answers stay', async () => {
    const memo = new ReadMemo()
    const reads = [
      ['ps:report', 'web', '--format', 'json'],
      ['config:export', '--format', 'json', 'web'],
      ['postgres:info', 'db'],
      ['ps:report', 'api', '--format', 'json'],
      ['config:export', '--format', 'json', 'api'],
      ['redis:info', 'cache'],
      ['apps:list', '--format', 'json'],
      ['caddy:report', '--global', '--format', 'json'],
      ['plugin:list', '--format', 'json']
    ]
    await remembered(memo, reads)
    let sent = 0
    const again = async (argv: string[]) => (await memo.read(argv, async () => answer(`again ${++sent}`))).stdout
    memo.forget(['postgres:link', 'db', 'web', '--alias', 'DATABASE', '--no-restart'])
    // Stale: web's, db's, and the host-wide lists and reports.
    for (const argv of [reads[0], reads[1], reads[2], reads[6], reads[7]]) expect(await again(argv as string[]), (argv as string[]).join(' ')).toMatch(/^again/)
    // Kept: api's, cache's, and the plugin list (only a plugin install moves it).
    for (const argv of [reads[3], reads[4], reads[5], reads[8]]) expect(await again(argv as string[]), (argv as string[]).join(' ')).toBe((argv as string[]).join(' '))
  })

  it('a write that is not scoped, or a forget without a write, drops everything', async () => {
    for (const write of [['caddy:set', '--global', 'log-level', 'INFO'], undefined]) {
      const memo = new ReadMemo()
      await remembered(memo, [['ps:report', 'api'], ['plugin:list']])
      memo.forget(write)
      expect(memo.size).toBe(0)
    }
  })
})
