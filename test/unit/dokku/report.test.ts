import { describe, expect, it } from 'vitest'
import { parseReport, reportRequest } from '../../../src/core/dokku/forms.js'
import { parseReportJson, parseReportText, parseSingleValue } from '../../../src/core/dokku/parse/report.js'
import { featuresOf, toVersion } from '../../../src/core/dokku/version.js'
import {
  APPS_REPORT_JSON,
  APPS_REPORT_JSON_LEGACY,
  APPS_REPORT_TEXT,
  APPS_REPORT_TEXT_PADDED,
  DOMAINS_REPORT_JSON,
  DOMAINS_REPORT_TEXT
} from './fixtures.js'

const APP_REPORT = {
  'created-at': '1724265000',
  'deploy-source': 'docker-image',
  'deploy-source-metadata': 'ghcr.io/acme/web:1.2.3',
  dir: '/home/dokku/web',
  'global-disable-autocreation': '',
  locked: 'false'
}

const DOMAINS = {
  'app-enabled': 'true',
  'app-vhosts': 'web.example.com www.example.com',
  'global-enabled': 'true',
  'global-vhosts': 'example.com'
}

describe('Go :report text layout (docs/dokku-contract.md#reports)', () => {
  it('reads the apps sample, header skipped, empty value as ""', () => {
    expect(parseReportText(APPS_REPORT_TEXT, 'app')).toEqual(APP_REPORT)
  })

  it('reads the same report with the real padding (trailing spaces after an empty value)', () => {
    expect(parseReportText(APPS_REPORT_TEXT_PADDED, 'app')).toEqual(APP_REPORT)
  })

  it('reads the domains sample', () => {
    expect(parseReportText(DOMAINS_REPORT_TEXT, 'domains')).toEqual(DOMAINS)
  })

  it('keeps values containing colons whole, and reads `.` in flags as `-`', () => {
    const text = [
      '=====> web ps information',
      '       Deployed:                      true',
      '       Ps computed restart policy:    on-failure:10',
      '       Status web 1:                  running (CID: 0123456789a)'
    ].join('\n')
    expect(parseReportText(text, 'ps')).toEqual({
      deployed: 'true',
      'computed-restart-policy': 'on-failure:10',
      'status-web-1': 'running (CID: 0123456789a)'
    })
  })

  it('reads the bash `printf "%-30s %-25s"` layout of reports before their Go rewrite', () => {
    const line = (key: string, value: string) => `       ${`${key}:`.padEnd(30)} ${value.padEnd(25)}`
    const text = ['=====> web storage information', line('Storage build mounts', ''), line('Storage deploy mounts', '-v /var/lib/dokku/data/storage/web:/app/storage'), line('Storage run mounts', '')].join('\n') + '\n'
    expect(parseReportText(text, 'storage')).toEqual({ 'build-mounts': '', 'deploy-mounts': '-v /var/lib/dokku/data/storage/web:/app/storage', 'run-mounts': '' })
  })

  it('reads uncapitalised resource keys', () => {
    const text = '=====> web resource information\n       resource _default_ limit memory: 512m\n'
    expect(parseReportText(text, 'resource')).toEqual({ '_default_-limit-memory': '512m' })
  })
})

describe('JSON :report (docs/dokku-contract.md#reports)', () => {
  it('reads 0.38.8+ JSON with both stripped and legacy keys as one set of stripped keys', () => {
    expect(parseReportJson(APPS_REPORT_JSON, 'app', 'stripped')).toEqual(APP_REPORT)
  })

  it('reads pre-0.38.8 legacy keys onto the same names', () => {
    expect(parseReportJson(APPS_REPORT_JSON_LEGACY, 'app', 'legacy')).toEqual({
      'created-at': '1724265000',
      'deploy-source': 'docker-image',
      'deploy-source-metadata': 'ghcr.io/acme/web:1.2.3',
      dir: '/home/dokku/web',
      locked: 'false'
    })
  })

  it('reads domains JSON (no legacy keys) to the same values as its text form', () => {
    expect(parseReportJson(DOMAINS_REPORT_JSON, 'domains', 'stripped')).toEqual(parseReportText(DOMAINS_REPORT_TEXT, 'domains'))
  })

  it('keeps a stripped key that itself starts with the plugin name (proxy-port) and drops its legacy twin', () => {
    const json = '{"computed-proxy-port":"80","proxy-computed-proxy-port":"80","proxy-port":"","proxy-proxy-port":"","proxy-type":"caddy","type":"caddy"}'
    expect(parseReportJson(json, 'proxy', 'stripped')).toEqual({ 'computed-proxy-port': '80', 'proxy-port': '', type: 'caddy' })
    expect(parseReportJson('{"proxy-proxy-port":"","proxy-type":"caddy"}', 'proxy', 'legacy')).toEqual({ 'proxy-port': '', type: 'caddy' })
  })

  it('decodes Go HTML escaping', () => {
    expect(parseReportJson('{"deploy":"--label caddy.x=\\u003ca\\u0026b\\u003e"}', 'docker-options', 'stripped')).toEqual({ deploy: '--label caddy.x=<a&b>' })
  })

  it('gives the same report whichever form the version uses', () => {
    const legacy = parseReport(APPS_REPORT_JSON_LEGACY, reportRequest('apps', 'web', featuresOf(toVersion('0.38.0'))))
    const stripped = parseReport(APPS_REPORT_JSON, reportRequest('apps', 'web', featuresOf(toVersion('0.38.27'))))
    const text = parseReportText(APPS_REPORT_TEXT, 'app')
    for (const key of ['created-at', 'deploy-source', 'dir', 'locked']) {
      expect(legacy[key]).toBe(text[key])
      expect(stripped[key]).toBe(text[key])
    }
  })

  it('rejects output that is not a JSON object', () => {
    expect(() => parseReportJson(' !     App web does not exist', 'app', 'stripped')).toThrow(/Could not read a JSON report/)
    expect(() => parseReportJson('[]', 'app', 'stripped')).toThrow(/expected one JSON object/)
  })
})

describe('single info flag values (docs/dokku-contract.md#reports)', () => {
  it('drops the one newline Dokku adds, and reads bash-empty output as ""', () => {
    expect(parseSingleValue('true\n')).toBe('true')
    expect(parseSingleValue('app1 app2 \n')).toBe('app1 app2 ')
    expect(parseSingleValue('')).toBe('')
    expect(parseSingleValue('line1\nline2\n')).toBe('line1\nline2')
  })
})
