import { describe, expect, it } from 'vitest'
import { DokkuParseError, UnsupportedDokkuVersionError } from '../../../src/core/dokku/errors.js'
import {
  MIN_SUPPORTED_VERSION,
  assertSupportedVersion,
  atLeast,
  compareVersions,
  featuresOf,
  parseDokkuVersion,
  toVersion,
  type DokkuFeatures,
  type VersionString
} from '../../../src/core/dokku/version.js'

describe('parseDokkuVersion (docs/dokku-contract.md#version)', () => {
  it.each([
    ['dokku version 0.38.27\n', { major: 0, minor: 38, patch: 27, raw: '0.38.27' }],
    ['dokku version v0.38.27-33-g33896f5d7\n', { major: 0, minor: 38, patch: 27, raw: 'v0.38.27-33-g33896f5d7' }],
    ['dokku version v0.32.0\n', { major: 0, minor: 32, patch: 0, raw: 'v0.32.0' }],
    ['some banner\ndokku version 0.35.12\n', { major: 0, minor: 35, patch: 12, raw: '0.35.12' }]
  ])('reads %j', (output, expected) => {
    expect(parseDokkuVersion(output)).toEqual(expected)
  })

  it.each([" !     Unable to determine dokku's version\n", '', 'dokku version master\n'])('refuses %j', (output) => {
    expect(() => parseDokkuVersion(output)).toThrow(DokkuParseError)
  })
})

describe('version comparison and the supported floor', () => {
  it('compares numerically, not as text', () => {
    expect(compareVersions(toVersion('0.38.9'), '0.38.10')).toBeLessThan(0)
    expect(atLeast(toVersion('0.38.21'), '0.38.21')).toBe(true)
    expect(atLeast(toVersion('1.0.0'), '0.38.27')).toBe(true)
  })

  it('accepts the floor and anything above it, counting a git-describe build as its tag', () => {
    expect(MIN_SUPPORTED_VERSION).toBe('0.32.0')
    expect(() => assertSupportedVersion(toVersion('0.32.0'))).not.toThrow()
    expect(() => assertSupportedVersion(parseDokkuVersion('dokku version v0.38.27-33-g33896f5d7'))).not.toThrow()
  })

  it('tells the user to upgrade below 0.32.0', () => {
    const attempt = () => assertSupportedVersion(parseDokkuVersion('dokku version 0.31.9'))
    expect(attempt).toThrow(UnsupportedDokkuVersionError)
    expect(attempt).toThrow(/0\.31\.9.*older than 0\.32\.0.*Upgrade Dokku/)
  })
})

describe('featuresOf: the first version of each behaviour (docs/dokku-contract.md#versions)', () => {
  const cases: [keyof Omit<DokkuFeatures, 'version'>, VersionString, VersionString][] = [
    ['buildCapture', '0.37.5', '0.38.0'],
    ['appsListJson', '0.38.20', '0.38.21'],
    ['psScaleJson', '0.38.20', '0.38.21'],
    ['namedStorage', '0.37.5', '0.38.0'],
    ['dockerOptionsKeepDuplicates', '0.37.5', '0.38.0'],
    ['dockerOptionsProcess', '0.37.5', '0.38.0'],
    ['globalReports', '0.37.5', '0.38.0'],
    ['caddyLabels', '0.36.9', '0.37.0'],
    ['caddyGlobalTlsInternal', '0.38.4', '0.38.5'],
    ['caddyComputedReport', '0.38.5', '0.38.6'],
    ['pluginListJson', '0.38.21', '0.38.22'],
    ['builds', '0.37.5', '0.38.0'],
    ['resourceBuildProcess', '0.37.5', '0.38.0'],
    ['configImport', '0.36.9', '0.37.0']
  ]
  it.each(cases)('%s: off on %s, on from %s', (feature, before, from) => {
    expect(featuresOf(toVersion(before))[feature]).toBe(false)
    expect(featuresOf(toVersion(from))[feature]).toBe(true)
    expect(featuresOf(toVersion('0.38.27'))[feature]).toBe(true)
  })
})
