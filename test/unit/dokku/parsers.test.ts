import { describe, expect, it } from 'vitest'
import { parseAppsListJson, parseAppsListText } from '../../../src/core/dokku/parse/apps.js'
import { parseCaddyLabels } from '../../../src/core/dokku/parse/caddy.js'
import { parseDockerOptionsReport, splitDockerOptionEntries, splitShellWords, hasDockerOption } from '../../../src/core/dokku/parse/docker-options.js'
import { parsePluginListJson, parsePluginListText } from '../../../src/core/dokku/parse/plugins.js'
import { formatPortMap, parsePortMaps } from '../../../src/core/dokku/parse/ports.js'
import { parseScaleJson, parseScaleText } from '../../../src/core/dokku/parse/ps.js'
import { parseReportJson, parseReportText } from '../../../src/core/dokku/parse/report.js'
import { parseStorageListJson } from '../../../src/core/dokku/parse/storage.js'
import { CADDY_LABELS_TEXT, PLUGIN_LIST_TEXT, PS_SCALE_TEXT, STORAGE_LIST_JSON } from './fixtures.js'

describe('apps:list (docs/dokku-contract.md#apps-list)', () => {
  it('reads JSON, including [] for no apps', () => {
    expect(parseAppsListJson('["a","b"]\n')).toEqual(['a', 'b'])
    expect(parseAppsListJson('[]\n')).toEqual([])
    expect(() => parseAppsListJson('{"a":1}')).toThrow(/JSON array of names/)
  })

  it('reads text with or without the header; the no-apps warning is on stderr so stdout is empty', () => {
    expect(parseAppsListText('=====> My Apps\nweb\nworker\n')).toEqual(['web', 'worker'])
    expect(parseAppsListText('')).toEqual([])
  })
})

describe('plugin:list (docs/dokku-contract.md#plugins)', () => {
  it('reads the printf "  %-20s %-5s %-10s %s" rows and skips the plugn header', () => {
    expect(parsePluginListText(PLUGIN_LIST_TEXT)).toEqual([{ name: 'postgres', version: '1.48.0', enabled: true, description: 'dokku postgres service plugin' }])
  })

  it('reads short versions, empty versions, long names and disabled plugins', () => {
    const row = (name: string, version: string, state: string, description: string) => `  ${name.padEnd(20)} ${version.padEnd(5)} ${state.padEnd(10)} ${description}`
    const text = [row('git', '0.1', 'enabled', 'dokku core git plugin'), row('nover', '', 'disabled', 'no version'), row('a-very-long-plugin-name-x', '0.38.27', 'enabled', 'long')].join('\n')
    expect(parsePluginListText(text)).toEqual([
      { name: 'git', version: '0.1', enabled: true, description: 'dokku core git plugin' },
      { name: 'nover', version: '', enabled: false, description: 'no version' },
      { name: 'a-very-long-plugin-name-x', version: '0.38.27', enabled: true, description: 'long' }
    ])
  })

  it('reads the 0.38.22+ JSON form', () => {
    const json = '[{"name":"postgres","version":"1.48.0","enabled":true,"core":false,"description":"dokku postgres service plugin","source_url":"https://github.com/dokku/dokku-postgres.git","committish":"","branch":""}]'
    expect(parsePluginListJson(json)).toEqual([{ name: 'postgres', version: '1.48.0', enabled: true, description: 'dokku postgres service plugin' }])
  })
})

describe('port maps (docs/dokku-contract.md#ports)', () => {
  it('reads --ports-map: space-separated, empty when none', () => {
    expect(parsePortMaps('http:80:5000 https:443:5000\n')).toEqual([
      { scheme: 'http', hostPort: 80, containerPort: 5000 },
      { scheme: 'https', hostPort: 443, containerPort: 5000 }
    ])
    expect(parsePortMaps('\n')).toEqual([])
    expect(() => parsePortMaps('http:80')).toThrow(/scheme:host-port:container-port/)
  })

  it('formats maps back', () => {
    expect(formatPortMap({ scheme: 'http', hostPort: 80, containerPort: 4000 })).toBe('http:80:4000')
  })
})

describe('storage:list (docs/dokku-contract.md#storage-report)', () => {
  it('reads the 0.38 JSON sample', () => {
    expect(parseStorageListJson(STORAGE_LIST_JSON)).toEqual([{ entryName: 'legacy-…', hostPath: '/tmp/mount', containerPath: '/mount', readonly: false, volumeOptions: '' }])
  })

  it('reads readonly and volume_options when set, and the pre-0.38 shape without entry_name', () => {
    expect(parseStorageListJson('[{"entry_name":"s3","host_path":"/var/lib/dokku/data/storage/s3","container_path":"/data","readonly":true}]')[0]).toMatchObject({ entryName: 's3', readonly: true })
    expect(parseStorageListJson('[\n  {\n    "host_path": "/a",\n    "container_path": "/b",\n    "volume_options": "ro"\n  }\n]')).toEqual([
      { entryName: '', hostPath: '/a', containerPath: '/b', readonly: true, volumeOptions: 'ro' }
    ])
    expect(parseStorageListJson('[]')).toEqual([])
  })

})

describe('docker-options (docs/dokku-contract.md#docker-options)', () => {
  it('splits an option string at flag boundaries, as docker-options:add stores it', () => {
    expect(splitDockerOptionEntries('--label a=b --label c=d')).toEqual([['--label', 'a=b'], ['--label', 'c=d']])
    expect(splitDockerOptionEntries('-p 127.0.0.1:26257:26257')).toEqual([['-p', '127.0.0.1:26257:26257']])
    expect(splitDockerOptionEntries('--restart=on-failure:10 --init')).toEqual([['--restart=on-failure:10'], ['--init']])
  })

  it('splits shell words without expansion', () => {
    expect(splitShellWords(`--label 'caddy.reverse_proxy={{upstreams 4000}}' "a b" c\\ d $HOME`)).toEqual(['--label', 'caddy.reverse_proxy={{upstreams 4000}}', 'a b', 'c d', '$HOME'])
    expect(() => splitShellWords("--label 'open")).toThrow(/unbalanced quote/)
  })

  it('reads the postgres --link option from a text (bash) report on all three phases', () => {
    const link = '--link dokku.postgres.db:dokku-postgres-db'
    const report = parseReportText(
      ['=====> web docker-options information', `       Docker options build:          ${link}`, `       Docker options deploy:         ${link} --restart=on-failure:10`, `       Docker options run:            ${link}`].join('\n'),
      'docker-options'
    )
    const options = parseDockerOptionsReport(report)
    expect(options.deploy).toEqual([['--link', 'dokku.postgres.db:dokku-postgres-db'], ['--restart=on-failure:10']])
    expect(hasDockerOption(options.build, ['--link', 'dokku.postgres.db:dokku-postgres-db'])).toBe(true)
    expect(hasDockerOption(options.run, ['--link', 'dokku.postgres.other:dokku-postgres-other'])).toBe(false)
  })

  it('prefers the JSON <phase>-list arrays, which keep duplicates (0.38 stores them)', () => {
    const json = '{"build":"","build-list":[],"deploy":"--label a=b --label a=b","deploy-list":["--label a=b","--label a=b"],"docker-options-deploy":"--label a=b --label a=b","run":"","run-list":null}'
    const options = parseDockerOptionsReport(parseReportJson(json, 'docker-options', 'stripped'))
    expect(options).toEqual({ build: [], deploy: [['--label', 'a=b'], ['--label', 'a=b']], run: [] })
  })

  it('compares word by word, so quoting differences do not matter (0.38.26 re-serialises)', () => {
    expect(hasDockerOption([['--label', 'x=a b']], splitShellWords(`--label "x=a b"`))).toBe(true)
  })
})

describe('ps:scale (docs/dokku-contract.md#ps-scale)', () => {
  it('reads the text sample and its --quiet form', () => {
    expect(parseScaleText(PS_SCALE_TEXT)).toEqual({ web: 1, worker: 2 })
    expect(parseScaleText('web:  1\nworker: 2\n')).toEqual({ web: 1, worker: 2 })
  })

  it('reads the 0.38.21+ JSON', () => {
    expect(parseScaleJson('[{"process_type":"web","quantity":1}]')).toEqual({ web: 1 })
    expect(parseScaleJson('[]')).toEqual({})
  })
})

describe('caddy:labels:show (docs/dokku-contract.md#caddy-labels)', () => {
  it('reads label=value lines; no labels is a stderr warning, so {}', () => {
    expect(parseCaddyLabels(CADDY_LABELS_TEXT)).toEqual({ 'caddy.handle_path': '/api/v1/*', 'caddy.handle_path.reverse_proxy': '{{upstreams 4000}}' })
    expect(parseCaddyLabels('')).toEqual({})
  })
})
