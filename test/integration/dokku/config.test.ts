// DokkuClient config:* against the sandbox host: values with awkward bytes travel base64 (`--encoded`)
// or over stdin (`config:import`) and come back byte for byte; what Dokku echoes never reaches a log.
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { AppNotFoundError, UnfulfilledCommandError, type DokkuClient } from '../../../src/core/dokku/index.js'
import type { RecordingLogger } from '../../../src/core/log.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { clientWithApps, lastBuild, raw, rejection, unique } from './helpers.ts'

const sandbox = sharedSandbox()
let dokku: DokkuClient
let logger: RecordingLogger
const newApp = clientWithApps(sandbox, (connected) => ({ dokku, logger } = connected))

// Values no plain SSH argument could carry: the forced command re-parses with xargs (docs/dokku-contract.md#forced-command).
const AWKWARD: Record<string, string> = {
  SPACES: '  two  leading, two trailing  ',
  QUOTES: `it's "double" and 'single'`,
  SHELL: '$HOME $(id) `id` ${PATH} * ? [a] ~ ; | & > <',
  // Not ending in a backslash: Dokku 0.37.8+ (godotenv 1.5.1) cannot store that, and the client refuses it (below).
  BACKSLASH: 'C:\\path\\to \\n \\\\ \\ end',
  MULTILINE: 'line one\nline two\n\n  indented four\n',
  CRLF: 'windows\r\nline\r\n',
  TABS: '\tcol1\tcol2\t',
  UNICODE: 'héllo wörld ✓ 🚀 日本語',
  EQUALS: 'a=b=c==',
  DASHES: '-n -e --help --version',
  URL: 'postgres://user:p@ss:w0rd@db.internal:5432/app?sslmode=require&x=1',
  HTML: '<script>alert("&")</script>',
  EMPTY: '',
  LONG: 'x'.repeat(8000)
}

describe.concurrent('config:* on the sandbox host', () => {
  it('sets awkward values with --encoded and reads them back byte for byte, never logging them', async () => {
    const app = await newApp('config')
    expect(await dokku.config.set(app, AWKWARD)).toEqual({ changed: true })
    const exported = await dokku.config.export(app)
    for (const [key, value] of Object.entries(AWKWARD)) expect(exported[key], key).toBe(value)
    expect(exported['NOT_SET']).toBeUndefined()
    // Dokku 0.38.27 (godotenv 1.5.1) cannot store a value ending in a backslash: refused, naming the key only.
    await expect(dokku.config.set(app, { TRAILING: 'C:\\dir\\' })).rejects.toThrow(/TRAILING: it ends in a backslash/)
    // The client logs the command with values elided, nothing else of what config:set printed.
    expect(logger.text()).toContain(`running dokku config:set --encoded --no-restart ${app} 'SPACES=***' 'QUOTES=***'`)
    for (const value of Object.values(AWKWARD)) {
      for (const part of value.split(/[\r\n]+/).map((p) => p.trim()).filter((p) => p.length >= 5)) expect(logger.text()).not.toContain(part)
      const encoded = Buffer.from(value, 'utf8').toString('base64')
      if (encoded.length >= 8) expect(logger.text()).not.toContain(encoded)
    }
  })

  it('stores purely numeric values re-formatted, the way Dokku does', async () => {
    const app = await newApp('numeric')
    expect(await dokku.config.set(app, { PIN: '007', COUNT: '+5', ZERO: '-0', PLAIN: '42', TEXT: 'abc' })).toEqual({ changed: true })
    // godotenv re-serialises integers with %d (docs/dokku-contract.md#config-storage): the bytes differ from what was sent.
    expect(await dokku.config.export(app)).toEqual({ PIN: '7', COUNT: '5', ZERO: '0', PLAIN: '42', TEXT: 'abc' })
  })

  it('unsets keys, including keys that were never set', async () => {
    const app = await newApp('unset')
    await dokku.config.set(app, { A: '1', B: '2', C: 'three' })
    expect(await dokku.config.unset(app, ['A', 'NEVER_SET'])).toEqual({ changed: true })
    expect(await dokku.config.export(app)).toEqual({ B: '2', C: 'three' })
    expect(await dokku.config.unset(app, [])).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.config.set(app, {})).toEqual({ changed: false, reason: 'up-to-date' })
  })

  it('imports values from stdin (JSON), merging or replacing, without echoing them to the log', async () => {
    const app = await newApp('import')
    await dokku.config.set(app, { KEEP: 'kept', OLD: 'old' })
    const lines: string[] = []
    expect(await dokku.config.import(app, { MULTILINE: AWKWARD.MULTILINE as string, SHELL: AWKWARD.SHELL as string, OLD: 'new value' }, { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(await dokku.config.export(app)).toEqual({ KEEP: 'kept', OLD: 'new value', MULTILINE: AWKWARD.MULTILINE, SHELL: AWKWARD.SHELL })
    // Dokku prints "Setting config var K=V" for each: the values are cut from what the caller sees.
    expect(lines).toContain('-----> Reading config vars from stdin')
    expect(lines).toContain('-----> Setting config var OLD=***')
    expect(lines.join('\n')).not.toContain('new value')
    expect(lines.join('\n')).not.toContain('$(id)')

    expect(await dokku.config.import(app, { ONLY: 'this' }, { replace: true })).toEqual({ changed: true })
    expect(await dokku.config.export(app)).toEqual({ ONLY: 'this' })
    // Larger than any SSH argument may be (the transport refuses those before sending): stdin carries it.
    const big = 'é'.repeat(150_000)
    await expect(dokku.config.set(app, { BIG: big })).rejects.toThrow(/longer than .* bytes; send large values over stdin/)
    expect(await dokku.config.import(app, { BIG: big })).toEqual({ changed: true })
    expect((await dokku.config.export(app))['BIG']).toBe(big)
    // Dokku refuses an empty import ("No config vars to set"): replacing with nothing clears instead.
    expect(await dokku.config.import(app, {})).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.config.import(app, {}, { replace: true })).toEqual({ changed: true })
    expect(await dokku.config.export(app)).toEqual({})
  })

  it('restarts a deployed app only when asked, and never shows the values in the streamed output', async () => {
    const app = await newApp('restart')
    expect(await dokku.git.fromImage(app, 'example.test/web:1.0')).toEqual({ changed: true })
    const before = (await lastBuild(sandbox, app)).id
    await dokku.config.set(app, { QUIET: 'no restart here' })
    expect((await lastBuild(sandbox, app)).id).toBe(before)

    const lines: string[] = []
    const secret = 'postgres://app:s3cr3t-p4ss@db:5432/app'
    expect(await dokku.config.set(app, { DATABASE_URL: secret, NOTE: 'multi\nline value' }, { restart: true, onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(lines).toContain('-----> Setting config vars')
    expect(lines).toContain(`-----> Restarting app ${app}`)
    expect(lines).toContain('=====> Application deployed:')
    const text = lines.join('\n')
    for (const leaked of ['s3cr3t-p4ss', 'multi', 'line value', 'no restart here']) expect(text).not.toContain(leaked)
    expect(await lastBuild(sandbox, app)).toMatchObject({ source: 'config-redeploy', status: 'succeeded' })
    const env = (await (await fetch(`${await sandbox.appUrl(app)}/__sandbox/env`)).json()) as Record<string, string>
    expect(env['DATABASE_URL']).toBe(secret)
    expect(env['NOTE']).toBe('multi\nline value')

    expect(await dokku.config.unset(app, ['NOTE'], { restart: true })).toEqual({ changed: true })
    expect(await lastBuild(sandbox, app)).toMatchObject({ source: 'config-redeploy', status: 'succeeded' })

    // A restart that fails leaves config:set exiting 0 with a warning (docs/dokku-contract.md#config-set): the client raises it,
    // and neither the message nor anything streamed carries the value.
    await dokku.ps.stop(app)
    const blocker = createServer()
    const port = Number(new URL(await sandbox.appUrl(app)).port)
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const streamed: string[] = []
      const error = await rejection(dokku.config.set(app, { TOKEN: 'tok-3x4mpl3-v4lu3' }, { restart: true, onOutput: (l) => streamed.push(l) }))
      expect(error).toBeInstanceOf(UnfulfilledCommandError)
      expect(error.message).toMatch(/^`dokku config:set --encoded \S+ 'TOKEN=\*\*\*'` exited 0, but the app restart it triggered failed; the config values were saved:\n/)
      expect(error.message).toContain('Failure while restarting app')
      expect(error.message).not.toContain('tok-3x4mpl3-v4lu3')
      expect(streamed.join('\n')).not.toContain('tok-3x4mpl3-v4lu3')
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
    expect((await dokku.config.export(app))['TOKEN']).toBe('tok-3x4mpl3-v4lu3')
  })

  it('fails with AppNotFoundError for a missing app, showing the command without values', async () => {
    const app = unique('gone')
    const error = await rejection(dokku.config.set(app, { TOKEN: 'very-secret-token' }))
    expect(error).toBeInstanceOf(AppNotFoundError)
    expect(error.message).toContain(`\`dokku config:set --encoded --no-restart ${app} 'TOKEN=***'\``)
    expect(error.message).not.toContain(Buffer.from('very-secret-token').toString('base64'))
    expect((await raw(sandbox, `apps:exists ${app}`)).code).toBe(20)
  })
})
