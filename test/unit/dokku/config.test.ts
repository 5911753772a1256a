import { afterEach, describe, expect, it, vi } from 'vitest'
import { configSetArgv } from '../../../src/core/dokku/commands/config.js'
import { DokkuArgumentError } from '../../../src/core/dokku/errors.js'
import { parseConfigJson, storedConfigValue } from '../../../src/core/dokku/parse/config.js'
import { clearSecretsForTest, redact } from '../../../src/core/secrets.js'
import { joinForXargs } from '../../../src/core/ssh/quote.js'

vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<typeof import('@actions/core')>()), setSecret: vi.fn() }))

afterEach(() => clearSecretsForTest())

describe('config:export --format json (docs/dokku-contract.md#config-export)', () => {
  it('reads the object Dokku prints (keys sorted, HTML-escaped, then a newline)', () => {
    expect(parseConfigJson('{"APP_ENV":"prod","COMPILE_ASSETS":"1","HTML":"\\u003cb\\u003e \\u0026"}\n')).toEqual({ APP_ENV: 'prod', COMPILE_ASSETS: '1', HTML: '<b> &' })
    expect(parseConfigJson('{}\n')).toEqual({})
  })

  it('registers passwords found in URL values (service DSNs) as secrets at once', () => {
    const pw = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
    parseConfigJson(`{"DATABASE_URL":"postgres://postgres:${pw}@dokku-postgres-db:5432/db","MIX_ENV":"prod"}`)
    expect(redact(`leaked ${pw}`)).toBe('leaked ***')
    expect(redact('MIX_ENV=prod')).toBe('MIX_ENV=prod')
  })

  it('rejects anything but an object of strings', () => {
    expect(() => parseConfigJson('null')).toThrow(/config:export/)
    expect(() => parseConfigJson('{"A":1}')).toThrow(/string value for A/)
  })
})

describe('the godotenv 1.5.1 integer quirk, Dokku 0.37.8+ (docs/dokku-contract.md#config-storage)', () => {
  it.each([
    ['007', '7'],
    ['+5', '5'],
    ['-0', '0'],
    ['-12', '-12'],
    ['9223372036854775807', '9223372036854775807'],
    ['9223372036854775808', '9223372036854775808'],
    ['0x1F', '0x1F'],
    [' 5', ' 5'],
    ['', ''],
    ['prod', 'prod']
  ])('%j is stored as %j', (value, stored) => {
    expect(storedConfigValue(value, 'godotenv-1.5.1')).toBe(stored)
  })
})

describe('config:set argv', () => {
  it('sends every value base64-encoded and shows none', () => {
    const secret = "p@ss w0rd 'quoted'\nsecond line"
    const { argv, shown } = configSetArgv('web', { SECRET_KEY_BASE: secret, EMPTY: '' })
    expect(argv).toEqual(['config:set', '--encoded', '--no-restart', 'web', `SECRET_KEY_BASE=${Buffer.from(secret).toString('base64')}`, 'EMPTY='])
    expect(shown).toEqual(['config:set', '--encoded', '--no-restart', 'web', 'SECRET_KEY_BASE=***', 'EMPTY=***'])
    expect(argv.join(' ')).not.toContain('p@ss')
    expect(() => joinForXargs(argv)).not.toThrow()
  })

  it('leaves out --no-restart only when a restart is asked for', () => {
    expect(configSetArgv('web', { A: '1' }, { restart: true }).argv).toEqual(['config:set', '--encoded', 'web', 'A=MQ=='])
  })

  it('refuses invalid keys and app names before sending', () => {
    expect(() => configSetArgv('web', { 'foo-bar': 'x' })).toThrow(DokkuArgumentError)
    expect(() => configSetArgv('Web_App', { A: 'x' })).toThrow(DokkuArgumentError)
    expect(() => configSetArgv('web', {})).toThrow(/at least one value/)
  })
})
