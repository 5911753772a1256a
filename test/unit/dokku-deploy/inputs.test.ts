import { afterEach, describe, expect, it } from 'vitest'
import { readDeployInputs, type EventContext } from '../../../src/actions/dokku-deploy/inputs.ts'
import { ConfigurationError } from '../../../src/core/errors.ts'
import { clearSecretsForTest, looksLikeCredentialKey, redact } from '../../../src/core/secrets.ts'
import { captureStdout, inputsFrom } from '../../support/inputs.ts'
import { testKeyInputs } from '../../support/keys.ts'

const base: Record<string, string> = { host: 'dokku.example.com', ...testKeyInputs(), app: 'uro', ref: 'HEAD' }
const event: EventContext = { eventName: 'push', sha: undefined, pullRequest: undefined, workspace: '/tmp' }

/** Reads the inputs; what they print (::add-mask:: commands) is captured, not shown. */
function read(values: Record<string, string>): ReturnType<typeof readDeployInputs> {
  let config: ReturnType<typeof readDeployInputs> | undefined
  captureStdout(() => (config = readDeployInputs(inputsFrom({ ...base, ...values }), event)))
  return config as ReturnType<typeof readDeployInputs>
}

function errorOf(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

afterEach(() => clearSecretsForTest())

describe('config masking', () => {
  it('masks credential-looking keys, private keys and URL passwords, and leaves public values readable', () => {
    const config = [
      'URL=https://uro.example.com/api/v1/',
      'ROOT_ORIGIN=https://uro.example.com',
      'PHOENIX_KEY_BASE=phoenix-key-base-value-0123456789',
      'JOKEN_SIGNER=joken-signer-value-0123456789',
      'ADMIN_PASSWORD=admin-password-value',
      'DATABASE_URL=postgres://uro:db-password-42@db.internal:5432/uro',
      'CRDB_CLIENT_CERT<<EOF',
      '-----BEGIN PRIVATE KEY-----',
      'MC4CAQAwBQYDK2VwBCIEIPrivateKeyMaterialLine',
      '-----END PRIVATE KEY-----',
      'EOF',
      'MINIMAL_START=false'
    ].join('\n')
    let read1: ReturnType<typeof readDeployInputs> | undefined
    const out = captureStdout(() => (read1 = readDeployInputs(inputsFrom({ ...base, config }), event)))
    expect(read1?.maskedConfigKeys.sort()).toEqual(['ADMIN_PASSWORD', 'CRDB_CLIENT_CERT', 'DATABASE_URL', 'JOKEN_SIGNER', 'PHOENIX_KEY_BASE'])
    const text = 'check https://uro.example.com/health; key phoenix-key-base-value-0123456789; db db-password-42; signer joken-signer-value-0123456789'
    expect(redact(text)).toBe('check https://uro.example.com/health; key ***; db ***; signer ***')
    for (const secret of ['phoenix-key-base-value-0123456789', 'db-password-42', 'admin-password-value', 'MC4CAQAwBQYDK2VwBCIEIPrivateKeyMaterialLine'])
      expect(out).toContain(`::add-mask::${secret}`)
    for (const shown of ['https://uro.example.com', 'false']) expect(out).not.toContain(`::add-mask::${shown}`)
  })

  it('lets the workflow say which keys are public and which are secret', () => {
    const config = 'NEXT_PUBLIC_TURNSTILE_SITEKEY=0x4AAAAAAA-public-site-key\nUPSTREAM_ID=derived-upstream-identifier\nPUBLIC_DSN=postgres://u:url-password@h:5432/d'
    const out = captureStdout(() => {
      const read2 = readDeployInputs(inputsFrom({ ...base, config, 'public-config-keys': 'NEXT_PUBLIC_TURNSTILE_SITEKEY, PUBLIC_DSN', 'secret-config-keys': 'UPSTREAM_ID' }), event)
      expect(read2.maskedConfigKeys.sort()).toEqual(['PUBLIC_DSN', 'UPSTREAM_ID'])
    })
    expect(out).not.toContain('0x4AAAAAAA-public-site-key')
    expect(out).toContain('::add-mask::derived-upstream-identifier')
    // A password inside a URL is never public, whatever the list says.
    expect(out).toContain('::add-mask::url-password')
  })

  it('refuses key lists that name keys config does not set, or a key in both lists', () => {
    expect(errorOf(() => read({ config: 'A=1', 'public-config-keys': 'B' })).message).toBe(
      'Input "public-config-keys" names a key that config does not set; got "B". Remove it, or add B=… to config.'
    )
    expect(errorOf(() => read({ config: 'A_KEY=1', 'public-config-keys': 'A_KEY', 'secret-config-keys': 'A_KEY' })).message).toBe(
      'Inputs "public-config-keys" and "secret-config-keys" both list A_KEY. Keep each key in one of them.'
    )
  })

  it('names words that make a key a credential, not substrings of harmless names only', () => {
    for (const key of ['SECRET_KEY_BASE', 'PHOENIX_KEY_BASE', 'SENDGRID_API_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', 'SENTRY_DSN', 'JOKEN_SIGNER', 'AWS_SECRET_ACCESS_KEY'])
      expect(looksLikeCredentialKey(key), key).toBe(true)
    for (const key of ['URL', 'ROOT_ORIGIN', 'FRONTEND_URL', 'REDIS_URL', 'NOREPLY_SENDER', 'MINIMAL_START', 'POOL_SIZE']) expect(looksLikeCredentialKey(key), key).toBe(false)
  })
})

describe('what an empty variable would break', () => {
  it('refuses a config URL with no host, naming the key, before connecting', () => {
    const error = errorOf(() => read({ config: 'URL=https:///api/v1/\nROOT_ORIGIN=https://' }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toBe(
      'Input "config" sets URL to a URL with no host, or an empty part in it ("https:///api/v1/"). It is built from a variable that is unset or empty (e.g. https://${{ vars.URO_DOMAIN }}/): set that variable in the repository or environment, or remove the key.'
    )
  })

  it('does not show the value of a secret key with no host', () => {
    const error = errorOf(() => read({ config: 'SOME_TOKEN=https://:hunter2hunter2@/x' }))
    expect(error.message).toMatch(/^Input "config" sets SOME_TOKEN to a URL with no host, or an empty part in it\. /)
    expect(error.message).not.toContain('hunter2')
  })

  it('refuses a health-check URL with no host', () => {
    expect(errorOf(() => read({ 'healthcheck-url': 'https:///health' })).message).toBe(
      'Input "healthcheck-url" is a URL with no host, or an empty part in it; got "https:///health". When it is built from a variable (https://${{ vars.DOMAIN }}/…), that variable is unset or empty: set it in the repository or environment.'
    )
  })

  it('tells an empty healthcheck-url from an explicit none', () => {
    expect(read({}).healthcheckOff).toBe('empty')
    expect(read({ 'healthcheck-url': 'none' })).toMatchObject({ healthcheckOff: 'none', healthcheck: undefined })
    expect(read({ 'healthcheck-url': 'https://uro.example.com/health' })).toMatchObject({ healthcheckOff: undefined })
  })

  it('refuses a host with an empty label, what an unset domain variable leaves', () => {
    for (const value of ['https://uro-pr-5./api/v1/', 'https://.example.com/', 'https://a..example.com', 'http://:8080/'])
      expect(errorOf(() => read({ config: `URL=${value}` })).message, value).toMatch(/^Input "config" sets URL to a URL with no host, or an empty part in it/)
  })

  it('refuses, before connecting, config values one config:set cannot carry, naming the key and its size but never the value', () => {
    const large = 'v'.repeat(25 * 1024)
    const one = errorOf(() => read({ config: `SMALL=1\nCERT=${large}` })).message
    expect(one).toMatch(/^Input "config": the value of CERT \(25600 bytes\) cannot be sent to Dokku in one config:set: it is longer than 32768 bytes/)
    expect(one).not.toContain('vvvv')
    const many = Array.from({ length: 6 }, (_, i) => `K${i}=${'w'.repeat(20 * 1024)}`).join('\n')
    const all = errorOf(() => read({ config: many })).message
    expect(all).toMatch(/^Input "config": the values together cannot be sent to Dokku in one config:set: the whole command would be longer than/)
    expect(all).not.toContain('wwww')
    expect(() => read({ config: `CERT=${'v'.repeat(20 * 1024)}` })).not.toThrow()
  })

  it('accepts URLs whose host is there, with or without credentials', () => {
    expect(() => read({ config: 'A=https://x.example/\nREDIS_URL=redis://:pw@redis:6379\nB=not a url\nC=http://[::1]:8080/\nD=http://127.0.0.1:4000' })).not.toThrow()
  })
})
