import { describe, expect, it } from 'vitest'
import { resourceLimitArgv } from '../../../src/core/dokku/commands/resource.js'
import { serviceCreateArgv } from '../../../src/core/dokku/commands/services.js'
import { DokkuArgumentError } from '../../../src/core/dokku/errors.js'
import { MAX_APP_NAME } from '../../../src/core/dokku/names.js'
import { checkApp, checkConfigKey, checkService } from '../../../src/core/dokku/runner.js'
import { InputReader } from '../../../src/core/inputs/readers.js'
import { buildRemoteCommand } from '../../../src/core/ssh/quote.js'

describe('service create argv (docs/dokku-contract.md#service-create)', () => {
  it('uses long flags only, so nothing is swallowed by the forced command', () => {
    const { argv, shown } = serviceCreateArgv('postgres', 'db', {
      image: 'postgres',
      imageVersion: '18.4',
      customEnv: { POSTGRES_INITDB_ARGS: '--data-checksums', TZ: 'UTC' },
      memory: 1024,
      shmSize: '256m'
    })
    expect(argv).toEqual([
      'postgres:create',
      'db',
      '--image',
      'postgres',
      '--image-version',
      '18.4',
      '--custom-env',
      'POSTGRES_INITDB_ARGS=--data-checksums;TZ=UTC',
      '--memory',
      '1024',
      '--shm-size',
      '256m'
    ])
    expect(shown).toContain('***')
    expect(shown.join(' ')).not.toContain('data-checksums')
    expect(argv.filter((word) => /^-[A-Za-z]$/.test(word))).toEqual([])
    expect(buildRemoteCommand('dokku-forced-command', argv)).toBe(
      'postgres:create db --image postgres --image-version 18.4 --custom-env \'POSTGRES_INITDB_ARGS=--data-checksums;TZ=UTC\' --memory 1024 --shm-size 256m'
    )
  })

  it('passes redis config options through as one argument', () => {
    const { argv } = serviceCreateArgv('redis', 'cache', { configOptions: '--maxmemory 100mb' })
    expect(argv).toEqual(['redis:create', 'cache', '--config-options', '--maxmemory 100mb'])
    expect(() => buildRemoteCommand('dokku-forced-command', argv)).not.toThrow()
  })

  it('refuses what the plugin would misread', () => {
    expect(() => serviceCreateArgv('postgres', 'd.erp')).toThrow(DokkuArgumentError)
    expect(() => serviceCreateArgv('postgres', 'db', { customEnv: { A: 'x;y' } })).toThrow(/may not contain ";"/)
    expect(() => serviceCreateArgv('postgres', 'db', { memory: 1.5 })).toThrow(/megabytes/)
    expect(() => serviceCreateArgv('postgres', 'db', { image: '-i' })).toThrow(/cannot start with "-"/)
  })
})

describe('resource:limit argv (docs/dokku-contract.md#resource)', () => {
  it('puts the flags before the app', () => {
    expect(resourceLimitArgv('crdb', { memory: '2g', cpu: '1.5' })).toEqual(['resource:limit', '--cpu', '1.5', '--memory', '2g', 'crdb'])
    expect(resourceLimitArgv('web', { memory: 'clear' }, 'worker')).toEqual(['resource:limit', '--process-type', 'worker', '--memory', 'clear', 'web'])
  })

  it('refuses an empty or malformed limit', () => {
    expect(() => resourceLimitArgv('web', {})).toThrow(/at least one limit/)
    expect(() => resourceLimitArgv('web', { memory: '512 m' })).toThrow(DokkuArgumentError)
  })
})

describe('names the runner refuses before sending (core/dokku/names.ts, the rules the inputs check too)', () => {
  it('refuses an app name the inputs would refuse, its length included', () => {
    expect(checkApp('uro-pr-12')).toBe('uro-pr-12')
    expect(() => checkApp('Uro_API')).toThrow('"Uro_API" must be a Dokku app name')
    expect(() => checkApp('a'.repeat(MAX_APP_NAME + 1))).toThrow(`is ${MAX_APP_NAME + 1} characters long`)
    expect(errorOf(() => new InputReader(() => 'a'.repeat(MAX_APP_NAME + 1)).appName('app'))).toContain(`is ${MAX_APP_NAME + 1} characters long`)
  })

  it('refuses a service name or config key that would read as a flag or split', () => {
    expect(() => checkService('-db')).toThrow(DokkuArgumentError)
    expect(() => checkConfigKey('A B')).toThrow('"A B" must be a config key')
  })
})

function errorOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected an error')
}
