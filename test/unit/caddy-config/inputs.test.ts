import { describe, expect, it } from 'vitest'
import { readCaddyInputs } from '../../../src/actions/caddy-config/inputs.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

function read(extra: Record<string, string>) {
  return readCaddyInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', ...extra }))
}

function error(extra: Record<string, string>): ConfigurationError {
  try {
    read(extra)
  } catch (e) {
    if (e instanceof ConfigurationError) return e
    throw e
  }
  throw new Error('expected a ConfigurationError')
}

const APP = { app: 'uro', domains: 'uro.example.org', port: '4000' }

describe('caddy-config inputs', () => {
  it('reads a whole app with defaults', () => {
    const config = read({ ...APP, 'letsencrypt-email': 'ops@example.org', 'health-path': '/health', labels: 'caddy.encode gzip\ncaddy.handle_path /api/v1/*', redirects: 'vsekai.example.org uro.example.org' })
    expect(config.tls).toBe('acme')
    expect(config.verify).toBe(true)
    expect(config.letsencryptServer).toBeUndefined()
    expect(config.app).toEqual({
      app: 'uro', domains: ['uro.example.org'], port: 4000, healthPath: '/health',
      labels: [['caddy.encode', 'gzip'], ['caddy.handle_path', '/api/v1/*']],
      redirects: [{ from: 'vsekai.example.org', to: 'uro.example.org' }]
    })
  })

  it('normalises upper case and accepts several domains a line or comma-separated', () => {
    expect(read({ ...APP, domains: 'URO.Example.org, api.example.org\nwww.example.org.' }).app?.domains).toEqual(['uro.example.org', 'api.example.org', 'www.example.org'])
  })

  it('names the input, the value and the fix for domains that are not host names', () => {
    expect(error({ ...APP, domains: 'https://uro.example.org' }).message).toMatch(/"domains" must be a host name, not a URL; got "https:\/\/uro.example.org". Drop the scheme: uro.example.org/)
    expect(error({ ...APP, domains: 'uro.example.org/api' }).message).toMatch(/without a path/)
    expect(error({ ...APP, domains: 'uro.example.org:8443' }).message).toMatch(/without a port/)
    expect(error({ ...APP, domains: 'localhost' }).message).toMatch(/fully qualified/)
    expect(error({ ...APP, domains: 'a.*.example.org' }).message).toMatch(/whole first label/)
    expect(error({ ...APP, domains: '*.example.org' }).message).toMatch(/wildcard.*DNS challenge.*tls: internal/)
    expect(read({ ...APP, domains: '*.example.org', tls: 'internal' }).app?.domains).toEqual(['*.example.org'])
    expect(error({ ...APP, domains: 'a.example.org a.example.org' }).message).toMatch(/twice/)
  })

  it('checks email, server, tls, log level and port', () => {
    expect(error({ ...APP, 'letsencrypt-email': 'ops@' }).message).toMatch(/"letsencrypt-email" must be an email address; got "ops@"/)
    expect(read({ ...APP, 'letsencrypt-server': 'staging' }).letsencryptServer).toBe('https://acme-staging-v02.api.letsencrypt.org/directory')
    expect(error({ ...APP, 'letsencrypt-server': 'http://acme.test/dir' }).input).toBe('letsencrypt-server')
    expect(error({ ...APP, tls: 'self-signed' }).input).toBe('tls')
    expect(read({ ...APP, 'log-level': 'debug' }).logLevel).toBe('DEBUG')
    expect(error({ ...APP, 'log-level': 'loud' }).input).toBe('log-level')
    expect(error({ ...APP, port: '70000' }).input).toBe('port')
    expect(error({ ...APP, port: '' }).message).toMatch(/"port" is required with an app/)
  })

  it('refuses labels that are not Caddy label paths or have no value', () => {
    expect(error({ ...APP, labels: 'traefik.enable true' }).message).toMatch(/"labels" is not a Caddy label path: it must start with "caddy"/)
    expect(error({ ...APP, labels: 'caddy.tls' }).message).toMatch(/LABEL VALUE/)
    expect(error({ ...APP, labels: 'caddy.a 1\ncaddy.a 2' }).message).toMatch(/twice/)
  })

  it('refuses per-app inputs without an app, and odd redirects', () => {
    expect(error({ domains: 'uro.example.org' }).message).toMatch(/"app" is empty/)
    expect(read({}).app).toBeUndefined()
    expect(error({ ...APP, redirects: 'uro.example.org other.example.org' }).message).toMatch(/also one of the app's domains/)
    expect(error({ ...APP, redirects: 'old.example.org' }).message).toMatch(/FROM_HOST TO_HOST/)
    expect(error({ ...APP, 'health-path': 'health' }).message).toMatch(/starting with "\/"/)
  })
})
