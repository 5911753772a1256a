import { afterEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { InputReader } from '../../../src/core/inputs/readers.js'
import { clearSecretsForTest, redact } from '../../../src/core/secrets.js'
import { captureStdout, inputsFrom } from '../../support/inputs.js'

afterEach(() => clearSecretsForTest())

function errorOf(fn: () => unknown): ConfigurationError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigurationError) return error
    throw error
  }
  throw new Error('expected a ConfigurationError')
}

describe('required and optional', () => {
  it('names the missing input and how to supply it', () => {
    const error = errorOf(() => inputsFrom({}).required('app'))
    expect(error.input).toBe('app')
    expect(error.message).toBe('Input "app" is required and was not supplied. Add `app:` to the step\'s `with:` block.')
  })
  it('treats whitespace-only as unset and trims values', () => {
    const inputs = inputsFrom({ a: '  \n ', b: '  x  ' })
    expect(inputs.optional('a')).toBeUndefined()
    expect(inputs.optional('b')).toBe('x')
  })
})

describe('boolean', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false]
  ])('accepts the YAML 1.2 core value %s', (raw, expected) => {
    expect(inputsFrom({ flag: raw }).boolean('flag', !expected)).toBe(expected)
  })
  it.each(['yes', '1', 'ture', 'on'])('refuses %s instead of silently reading false', (raw) => {
    const error = errorOf(() => inputsFrom({ 'dry-run': raw }).boolean('dry-run', false))
    expect(error.message).toBe(`Input "dry-run" must be a boolean; got "${raw}". Use true or false.`)
  })
  it('uses the default when unset', () => {
    expect(inputsFrom({}).boolean('flag', true)).toBe(true)
  })
})

describe('integer and port', () => {
  it('parses in range', () => {
    expect(inputsFrom({ n: '2222' }).port('n', 22)).toBe(2222)
    expect(inputsFrom({}).port('n', 22)).toBe(22)
  })
  it.each(['0', '65536', '22.5', 'abc', '1e3', ''])('refuses %j for a port with the range', (raw) => {
    if (raw === '') return expect(inputsFrom({ 'ssh-port': raw }).port('ssh-port', 22)).toBe(22)
    const error = errorOf(() => inputsFrom({ 'ssh-port': raw }).port('ssh-port', 22))
    expect(error.message).toBe(`Input "ssh-port" must be a whole number from 1 to 65535; got ${JSON.stringify(raw)}. For example 22.`)
  })
})

describe('oneOf and duration', () => {
  it('lists the allowed values', () => {
    const error = errorOf(() => inputsFrom({ source: 'tarball' }).oneOf('source', ['git', 'image'] as const, 'git'))
    expect(error.message).toBe('Input "source" must be one of git, image; got "tarball". Use one of: git, image.')
  })
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1.5m', 90_000]
  ])('reads %s', (raw, ms) => {
    expect(inputsFrom({ t: raw }).duration('t', { fallbackMs: 1, maxMs: 86_400_000 })).toBe(ms)
  })
  it('refuses garbage and over-long durations', () => {
    expect(errorOf(() => inputsFrom({ t: 'soon' }).duration('t', { fallbackMs: 1, maxMs: 10_000 })).message).toMatch(/^Input "t" must be a duration; got "soon"\./)
    expect(errorOf(() => inputsFrom({ t: '1h' }).duration('t', { fallbackMs: 1, maxMs: 10_000 })).message).toMatch(/must be at most 10 s/)
  })
})

describe('list', () => {
  it('skips blank lines and comments', () => {
    expect(inputsFrom({ sources: 'postgres:db\n\n  # nightly\n redis:cache \r\nbucket:uploads' }).list('sources')).toEqual([
      'postgres:db',
      'redis:cache',
      'bucket:uploads'
    ])
  })
})

describe('keyValues', () => {
  it('keeps values byte for byte, including = and surrounding spaces', () => {
    const map = inputsFrom({ config: 'A=1\nB= two words \nC=x=y\n  D=$HOME `id` \\n "q" \'s\'' }).keyValues('config')
    expect([...map]).toEqual([
      ['A', '1'],
      ['B', ' two words '],
      ['C', 'x=y'],
      ['D', '$HOME `id` \\n "q" \'s\'']
    ])
  })
  it('reads multi-line values in the GITHUB_OUTPUT heredoc form', () => {
    const map = inputsFrom({ config: 'CERT<<EOF\nline 1\n\nline 3\nEOF\nAFTER=ok' }).keyValues('config')
    expect(map.get('CERT')).toBe('line 1\n\nline 3')
    expect(map.get('AFTER')).toBe('ok')
  })
  it('refuses an unclosed heredoc, a bad key, a duplicate key and a line without =', () => {
    expect(errorOf(() => inputsFrom({ config: 'K<<END\nx' }).keyValues('config')).message).toBe(
      'Input "config" line 1: the multi-line value of K is not closed. Add a line containing only END after the value.'
    )
    expect(errorOf(() => inputsFrom({ config: 'foo-bar=1' }).keyValues('config')).message).toBe(
      'Input "config" has an invalid key on line 1; got "foo-bar". Keys start with a letter or underscore and contain only letters, digits and underscores.'
    )
    expect(errorOf(() => inputsFrom({ config: 'A=1\nA=2' }).keyValues('config')).message).toBe('Input "config" sets A twice (line 2). Keep one of them.')
    expect(errorOf(() => inputsFrom({ config: 'oops' }).keyValues('config')).message).toMatch(/^Input "config" line 1 is not KEY=VALUE: "oops"\./)
  })
  it('masks every value of a secret map, and never shows a secret line in an error', () => {
    const out = captureStdout(() => inputsFrom({ config: 'TOKEN=s3cr3t-value\nOTHER=another-secret' }).keyValues('config', { secret: true }))
    expect(out).toContain('::add-mask::s3cr3t-value')
    expect(out).toContain('::add-mask::another-secret')
    expect(redact('token s3cr3t-value')).toBe('token ***')
    const error = errorOf(() => inputsFrom({ config: 'supersecretline' }).keyValues('config', { secret: true }))
    expect(error.message).not.toContain('supersecretline')
  })
})

describe('names and hosts', () => {
  it('accepts Dokku app names and suggests a fix for bad ones', () => {
    expect(inputsFrom({ app: 'uro-api.v2' }).appName('app', { required: true })).toBe('uro-api.v2')
    expect(errorOf(() => inputsFrom({ app: 'My_App' }).appName('app', { required: true })).message).toBe(
      'Input "app" must be a Dokku app name: lowercase letters, digits, dots and hyphens, starting with a letter or digit; got "My_App". For example "my-app".'
    )
    expect(errorOf(() => inputsFrom({ app: '-x' }).appName('app')).message).toContain('For example "x".')
  })
  it('accepts service names by the plugin regex', () => {
    expect(inputsFrom({ s: 'uro_db-1' }).serviceName('s', { required: true })).toBe('uro_db-1')
    expect(errorOf(() => inputsFrom({ s: 'd.erp' }).serviceName('s')).message).toBe(
      'Input "s" must be a service name (letters, digits, underscores and hyphens); got "d.erp". For example "d-erp".'
    )
  })
  it.each(['dokku.example.com', '203.0.113.7', 'localhost', '::1', 'a-b.c'])('accepts host %s', (host) => {
    expect(inputsFrom({ host }).hostname('host', { required: true })).toBe(host)
  })
  it.each(['https://dokku.example.com', 'dokku@host', 'host:22', 'bad_host', '256.1.1.1', 'a..b'])('refuses host %s', (host) => {
    expect(errorOf(() => inputsFrom({ host }).hostname('host')).message).toBe(
      `Input "host" must be a host name or an IP address, without scheme, user or port; got ${JSON.stringify(host)}. For example dokku.example.com or 203.0.113.7; the port goes in ssh-port.`
    )
  })
  it('reads URLs with the allowed schemes only', () => {
    expect(inputsFrom({ u: 'https://a.example/health' }).url('u', { protocols: ['https:', 'http:'] })?.host).toBe('a.example')
    expect(errorOf(() => inputsFrom({ u: 'ftp://a' }).url('u', { protocols: ['https:'] })).message).toBe(
      'Input "u" must use https:; got "ftp://a". For example https://app.example.com/health.'
    )
  })
})

describe('secret', () => {
  it('masks the value the moment it is read and never echoes it when missing', () => {
    const reader = inputsFrom({ token: '  abcd-efgh-ijkl  ' })
    let value: string | undefined
    const out = captureStdout(() => {
      value = reader.secret('token')
    })
    expect(value).toBe('abcd-efgh-ijkl')
    expect(out).toContain('::add-mask::abcd-efgh-ijkl')
    expect(errorOf(() => new InputReader(() => '').secret('token', { required: true })).message).toMatch(/^Input "token" is required/)
  })
})
