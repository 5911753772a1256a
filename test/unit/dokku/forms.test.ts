import { describe, expect, it } from 'vitest'
import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../../../src/core/dokku/errors.js'
import {
  GLOBAL,
  appsListArgv,
  caddySetArgv,
  caddySettingsFromReport,
  parseAppsList,
  reportRequest,
  storageCreateArgv,
  storageMountArgv,
  storageUnmountArgv,
  type ReportKind
} from '../../../src/core/dokku/forms.js'
import { featuresOf, toVersion, type VersionString } from '../../../src/core/dokku/version.js'

const at = (v: VersionString) => featuresOf(toVersion(v))

describe('reportRequest: report form per plugin and version (docs/dokku-contract.md#reports, #versions)', () => {
  const cases: [ReportKind, VersionString, 'json' | 'text', 'legacy' | 'stripped'][] = [
    // Go reports: JSON on every supported version, flag-named keys until 0.38.8
    ['apps', '0.32.0', 'json', 'legacy'],
    ['apps', '0.38.7', 'json', 'legacy'],
    ['apps', '0.38.8', 'json', 'stripped'],
    ['ps', '0.35.0', 'json', 'legacy'],
    ['ports', '0.38.27', 'json', 'stripped'],
    ['proxy', '0.37.0', 'json', 'legacy'],
    ['network', '0.38.8', 'json', 'stripped'],
    ['resource', '0.32.0', 'json', 'legacy'],
    // bash reports until 0.38.0 (no --format json), Go after
    ['storage', '0.37.9', 'text', 'legacy'],
    ['storage', '0.38.0', 'json', 'legacy'],
    ['dockerOptions', '0.37.9', 'text', 'legacy'],
    ['dockerOptions', '0.38.8', 'json', 'stripped'],
    // bash reports with jq JSON from 0.38.0 (stripped keys), Go from 0.38.22 (stripped, no legacy)
    ['domains', '0.37.9', 'text', 'stripped'],
    ['domains', '0.38.0', 'json', 'stripped'],
    ['caddy', '0.38.21', 'json', 'stripped'],
    ['checks', '0.38.22', 'json', 'stripped'],
    ['git', '0.36.0', 'text', 'stripped']
  ]
  it.each(cases)('%s on %s: %s, %s keys', (kind, version, format, keyStyle) => {
    const request = reportRequest(kind, 'web', at(version))
    expect(request.format).toBe(format)
    if (format === 'json') expect(request.keyStyle).toBe(keyStyle)
    expect(request.argv).toEqual(format === 'json' ? [`${kindCommand(kind)}`, 'web', '--format', 'json'] : [kindCommand(kind), 'web'])
  })

  it('uses --global only where Dokku has it (0.38.0)', () => {
    expect(reportRequest('caddy', GLOBAL, at('0.38.6')).argv).toEqual(['caddy:report', '--global', '--format', 'json'])
    expect(() => reportRequest('caddy', GLOBAL, at('0.37.0'))).toThrow(DokkuFeatureUnavailableError)
  })

  it('refuses builds:report before the builds plugin (0.38.0)', () => {
    expect(() => reportRequest('builds', 'web', at('0.37.9'))).toThrow(/needs Dokku 0\.38\.0 or newer; the host runs 0\.37\.9/)
    expect(reportRequest('builds', 'web', at('0.38.0')).argv).toEqual(['builds:report', 'web', '--format', 'json'])
  })
})

function kindCommand(kind: ReportKind): string {
  return kind === 'dockerOptions' ? 'docker-options:report' : `${kind}:report`
}

describe('apps:list form (docs/dokku-contract.md#apps-list)', () => {
  it('uses --format json from 0.38.21, the quiet text form before', () => {
    expect(appsListArgv(at('0.38.21'))).toEqual(['apps:list', '--format', 'json'])
    expect(appsListArgv(at('0.38.20'))).toEqual(['--quiet', 'apps:list'])
  })

  it('reads both forms, and the no-apps case (stderr only, exit 0) as []', () => {
    expect(parseAppsList('["a","b"]\n', at('0.38.21'))).toEqual(['a', 'b'])
    expect(parseAppsList('[]\n', at('0.38.27'))).toEqual([])
    expect(parseAppsList('a\nb\n', at('0.35.0'))).toEqual(['a', 'b'])
    expect(parseAppsList('', at('0.35.0'))).toEqual([])
  })
})

describe('storage forms (docs/dokku-contract.md#storage, #cockroach-app)', () => {
  it('creates named entries from 0.38 and directories before', () => {
    expect(storageCreateArgv('crdb-data', 'root', at('0.38.0'))).toEqual(['storage:create', 'crdb-data', '--chown', 'root'])
    expect(storageCreateArgv('crdb-data', 'root', at('0.37.9'))).toEqual(['storage:ensure-directory', '--chown', 'root', 'crdb-data'])
    expect(storageCreateArgv('s3', 1000, at('0.36.0'))).toEqual(['storage:ensure-directory', '--chown', '1000', 's3'])
  })

  it('mounts by entry name from 0.38 and by host path before', () => {
    expect(storageMountArgv('crdb', 'crdb-data', '/cockroach/cockroach-data', at('0.38.27'))).toEqual([
      'storage:mount',
      'crdb',
      'crdb-data',
      '--container-dir',
      '/cockroach/cockroach-data'
    ])
    expect(storageMountArgv('crdb', 'crdb-data', '/cockroach/cockroach-data', at('0.37.0'))).toEqual([
      'storage:mount',
      'crdb',
      '/var/lib/dokku/data/storage/crdb-data:/cockroach/cockroach-data'
    ])
    expect(storageUnmountArgv('s3', 's3', '/data', at('0.35.0'))).toEqual(['storage:unmount', 's3', '/var/lib/dokku/data/storage/s3:/data'])
  })

  it('refuses names and owners Dokku would reject', () => {
    expect(() => storageCreateArgv('has space', 'root', at('0.38.0'))).toThrow(DokkuArgumentError)
    expect(() => storageCreateArgv('d.erp', 'root', at('0.38.0'))).toThrow(DokkuArgumentError)
    expect(() => storageCreateArgv('ok', 70000, at('0.38.0'))).toThrow(DokkuArgumentError)
  })
})

describe('caddy:set (docs/dokku-contract.md#caddy)', () => {
  it('sets global keys with --global and unsets without a value', () => {
    expect(caddySetArgv(GLOBAL, 'letsencrypt-email', 'ops@example.com', at('0.38.27'))).toEqual(['caddy:set', '--global', 'letsencrypt-email', 'ops@example.com'])
    expect(caddySetArgv('web', 'tls-internal', undefined, at('0.38.27'))).toEqual(['caddy:set', 'web', 'tls-internal'])
  })

  it('refuses global-only keys for an app on every version (before 0.38.3 Dokku would ignore them silently)', () => {
    expect(() => caddySetArgv('web', 'letsencrypt-email', 'ops@example.com', at('0.38.2'))).toThrow(/can only be set globally/)
    expect(() => caddySetArgv('web', 'image', 'x', at('0.38.27'))).toThrow(DokkuArgumentError)
  })

  it('refuses a global tls-internal before 0.38.5', () => {
    expect(() => caddySetArgv(GLOBAL, 'tls-internal', 'true', at('0.38.4'))).toThrow(DokkuFeatureUnavailableError)
    expect(caddySetArgv(GLOBAL, 'tls-internal', 'true', at('0.38.5'))).toEqual(['caddy:set', '--global', 'tls-internal', 'true'])
  })
})

describe('caddy report keys per version (docs/dokku-contract.md#caddy)', () => {
  it('reads computed-* for an app from 0.38.6', () => {
    const report = { 'computed-image': 'lucaslorentz/caddy-docker-proxy:2.13', 'computed-log-level': 'ERROR', 'global-log-level': '', 'tls-internal': 'false', 'computed-tls-internal': 'true' }
    const settings = caddySettingsFromReport(report, 'web', at('0.38.6'))
    expect(settings.image).toBe('lucaslorentz/caddy-docker-proxy:2.13')
    expect(settings.logLevel).toBe('ERROR')
    expect(settings.tlsInternal).toBe('true')
  })

  it('reads the plain keys up to 0.38.5, where they held the effective values (tls-internal computed from 0.38.5)', () => {
    const report = { image: 'lucaslorentz/caddy-docker-proxy:2.13', 'letsencrypt-email': 'ops@example.com', 'computed-tls-internal': 'true', 'tls-internal': 'false' }
    const settings = caddySettingsFromReport(report, 'web', at('0.38.5'))
    expect(settings.letsencryptEmail).toBe('ops@example.com')
    expect(settings.tlsInternal).toBe('true')
    expect(caddySettingsFromReport({ 'tls-internal': 'false' }, 'web', at('0.37.0')).tlsInternal).toBe('false')
  })

  it('reads raw global-* values for --global, and refuses them before 0.38.6', () => {
    const report = { 'global-letsencrypt-email': 'ops@example.com', 'global-image': '' }
    expect(caddySettingsFromReport(report, GLOBAL, at('0.38.27')).letsencryptEmail).toBe('ops@example.com')
    expect(caddySettingsFromReport(report, GLOBAL, at('0.38.27')).image).toBe('')
    expect(() => caddySettingsFromReport(report, GLOBAL, at('0.38.5'))).toThrow(DokkuFeatureUnavailableError)
  })
})
