// DokkuClient against the sandbox host: the per-app property groups (ports, domains, proxy, caddy,
// storage, network, docker-options, checks, resource) and plugin:list. Reports are read back after
// each change.
import { describe, expect, it } from 'vitest'
import { DokkuArgumentError, RootRequiredError, STORAGE_ROOT, type DokkuClient } from '../../../src/core/dokku/index.js'
import type { RecordingLogger } from '../../../src/core/log.js'
import { parseReportJson } from '../../../src/core/dokku/parse/report.js'
import { GLOBAL } from '../../../src/core/dokku/forms.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { clientWithApps, connect, raw, unique } from './helpers.ts'

const sandbox = sharedSandbox()
let dokku: DokkuClient
let logger: RecordingLogger
const newApp = clientWithApps(sandbox, (connected) => ({ dokku, logger } = connected))

describe.concurrent('ports, domains and proxy', () => {
  it('sets port maps and reads them back', async () => {
    const app = await newApp('ports')
    expect(await dokku.ports.report(app)).toEqual({ map: [], detected: [] })
    await dokku.ports.set(app, ['http:80:5000', { scheme: 'https', hostPort: 443, containerPort: 5000 }])
    expect((await dokku.ports.report(app)).map).toEqual([
      { scheme: 'http', hostPort: 80, containerPort: 5000 },
      { scheme: 'https', hostPort: 443, containerPort: 5000 }
    ])
    await dokku.ports.set(app, ['http:80:3000'])
    expect((await dokku.ports.report(app)).map).toEqual([{ scheme: 'http', hostPort: 80, containerPort: 3000 }])
    await expect(dokku.ports.set(app, [])).rejects.toBeInstanceOf(DokkuArgumentError)
    expect((await raw(sandbox, `ports:clear ${app}`)).code).toBe(0)
    expect((await dokku.ports.report(app)).map).toEqual([])
    // A deploy detects the default map.
    await dokku.git.fromImage(app, 'ghcr.io/acme/ports:1')
    expect((await dokku.ports.report(app)).detected).toEqual([{ scheme: 'http', hostPort: 80, containerPort: 5000 }])
  })

  it('sets domains and reads them back', async () => {
    const app = await newApp('domains')
    const initial = await dokku.domains.report(app)
    expect(initial).toEqual({ appEnabled: true, appVhosts: [`${app}.sandbox.test`], globalEnabled: true, globalVhosts: ['sandbox.test'] })
    await dokku.domains.set(app, ['api.example.com', 'www.example.com'])
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['api.example.com', 'www.example.com'])
    await dokku.domains.set(app, ['only.example.com'])
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['only.example.com'])
    await expect(dokku.domains.set(app, [])).rejects.toBeInstanceOf(DokkuArgumentError)
    await expect(dokku.domains.set(app, ['two words.example.com'])).rejects.toBeInstanceOf(DokkuArgumentError)
  })

  it('sets the proxy type, disables and enables it', async () => {
    const app = await newApp('proxy')
    expect(await dokku.proxy.report(app)).toMatchObject({ type: 'nginx', enabled: true })
    await dokku.proxy.set(app, 'type', 'caddy')
    const report = await dokku.proxy.report(app)
    expect(report).toMatchObject({ type: 'caddy', enabled: true })
    expect(report.raw['type']).toBe('caddy')
    await dokku.proxy.disable(app)
    await dokku.proxy.disable(app)
    expect((await dokku.proxy.report(app)).enabled).toBe(false)
    await dokku.proxy.enable(app)
    await dokku.proxy.enable(app)
    expect((await dokku.proxy.report(app)).enabled).toBe(true)
    await dokku.proxy.set(app, 'proxy-port', '8080')
    expect((await dokku.proxy.report(app)).raw['computed-proxy-port']).toBe('8080')
    await dokku.proxy.set(app, 'type')
    expect(await dokku.proxy.report(app)).toMatchObject({ type: 'nginx' })
  })
})

describe.concurrent('caddy', () => {
  it('sets tls-internal per app and reports the settings in effect', async () => {
    const app = await newApp('caddy')
    // The host's global settings are shared with the other test files on this host: an app reports them in effect.
    const host = await dokku.caddy.report(GLOBAL)
    expect(await dokku.caddy.report(app)).toEqual({
      image: 'lucaslorentz/caddy-docker-proxy:2.13',
      letsencryptEmail: host.letsencryptEmail,
      letsencryptServer: host.letsencryptServer || 'https://acme-v02.api.letsencrypt.org/directory',
      logLevel: host.logLevel || 'ERROR',
      pollingInterval: '5s',
      tlsInternal: 'false'
    })
    await dokku.caddy.set(app, 'tls-internal', 'true')
    expect((await dokku.caddy.report(app)).tlsInternal).toBe('true')
    await dokku.caddy.set(app, 'tls-internal')
    expect((await dokku.caddy.report(app)).tlsInternal).toBe('false')
    // Global-only keys are refused for an app before anything is sent.
    await expect(dokku.caddy.set(app, 'letsencrypt-email', 'ops@example.com')).rejects.toBeInstanceOf(DokkuArgumentError)
  })

  it('adds, shows and removes labels', async () => {
    const app = await newApp('labels')
    expect(await dokku.caddy.labels(app)).toEqual({})
    await dokku.caddy.addLabel(app, 'caddy.handle_path', '/api/*')
    await dokku.caddy.addLabel(app, 'caddy.header', 'X-Frame-Options DENY')
    expect(await dokku.caddy.labels(app)).toEqual({ 'caddy.handle_path': '/api/*', 'caddy.header': 'X-Frame-Options DENY' })
    await dokku.caddy.addLabel(app, 'caddy.header', 'X-Frame-Options SAMEORIGIN')
    expect((await dokku.caddy.labels(app))['caddy.header']).toBe('X-Frame-Options SAMEORIGIN')
    await dokku.caddy.removeLabel(app, 'caddy.header')
    await dokku.caddy.removeLabel(app, 'caddy.header')
    expect(await dokku.caddy.labels(app)).toEqual({ 'caddy.handle_path': '/api/*' })
  })
})

describe.concurrent('storage', () => {
  it('creates named storage and mounts it idempotently (0.38 forms)', async () => {
    const app = await newApp('storage')
    const name = unique('data')
    await dokku.storage.ensureDirectory(name, { chown: 'root' })
    await dokku.storage.ensureDirectory(name, { chown: 'root' })
    expect(logger.text()).toContain(`running dokku storage:create ${name} --chown root`)
    expect(await dokku.storage.list(app)).toEqual([])
    expect(await dokku.storage.mount(app, name, '/app/data')).toEqual({ changed: true })
    expect(await dokku.storage.ensureMount(app, name, '/app/data')).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.storage.list(app)).toEqual([
      { entryName: name, hostPath: `${STORAGE_ROOT}/${name}`, containerPath: '/app/data', readonly: false, volumeOptions: '' }
    ])
    const other = unique('cache')
    expect(await dokku.storage.ensureMount(app, other, '/app/cache', { chown: 'heroku' })).toEqual({ changed: true })
    expect(await dokku.storage.ensureMount(app, other, '/app/cache', { chown: 'heroku' })).toEqual({ changed: false, reason: 'up-to-date' })
    // The actions read mounts with storage:list; the report (read raw here) shows what Dokku passes to docker.
    const report = parseReportJson((await raw(sandbox, `storage:report ${app} --format json`)).stdout, 'storage', 'stripped')
    expect(report['deploy-mounts']).toBe(`-v ${STORAGE_ROOT}/${name}:/app/data -v ${STORAGE_ROOT}/${other}:/app/cache`)
    expect(report['run-mounts']).toBe(report['deploy-mounts'])
    expect(report['build-mounts']).toBe('')
    expect(report['attachment-0-entry']).toBe(name)

    expect(await dokku.storage.unmount(app, other, '/app/cache')).toEqual({ changed: true })
    expect(await dokku.storage.unmount(app, other, '/app/cache')).toEqual({ changed: false, reason: 'absent' })
    expect((await dokku.storage.list(app)).map((m) => m.entryName)).toEqual([name])
    expect(await dokku.storage.destroy(other, { destroyHostDir: true })).toEqual({ changed: true, hostDirRemoved: true })
    expect(await dokku.storage.destroy(other)).toEqual({ changed: false, reason: 'absent', hostDirRemoved: false })
    await expect(dokku.storage.destroy(name)).rejects.toThrow(/still mounted/)
    await dokku.storage.unmount(app, name, '/app/data')
    await dokku.storage.destroy(name)
    await expect(dokku.storage.mount(app, name, 'relative/path')).rejects.toBeInstanceOf(DokkuArgumentError)
  })
})

describe.concurrent('network', () => {
  it('creates networks once and attaches apps by property', async () => {
    const app = await newApp('network')
    const net = unique('net')
    expect(await dokku.network.exists(net)).toBe(false)
    expect(await dokku.network.ensure(net)).toEqual({ changed: true })
    expect(await dokku.network.exists(net)).toBe(true)
    expect(await dokku.network.ensure(net)).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.network.create(net)).toEqual({ changed: false, reason: 'exists' })

    const second = unique('net')
    await dokku.network.set(app, 'attach-post-create', net, second)
    await dokku.network.set(app, 'tld', 'internal')
    const report = await dokku.network.report(app)
    expect(report).toMatchObject({ 'attach-post-create': `${net},${second}`, 'computed-attach-post-create': `${net},${second}`, tld: 'internal', 'computed-bind-all-interfaces': 'false' })
    await expect(dokku.network.set(app, 'attach-post-deploy', net)).rejects.toThrow(/Network name already associated with this app/)
    await dokku.network.set(app, 'attach-post-create')
    expect((await dokku.network.report(app))['attach-post-create']).toBe('')
    await dokku.git.fromImage(app, 'ghcr.io/acme/net:1')
    expect((await dokku.network.report(app))['web-listeners']).toMatch(/^127\.0\.0\.1:\d+$/)
  })
})

describe.concurrent('docker-options', () => {
  it('reads the stored options per phase as shell words, the duplicates Dokku 0.38 stores included', async () => {
    const app = await newApp('dopts')
    expect(await dokku.dockerOptions.report(app)).toEqual({ build: [], deploy: [], run: [] })
    // Added raw: the actions only read docker options (a service link's --link).
    expect((await raw(sandbox, `docker-options:add ${app} deploy --label a=b`)).code).toBe(0)
    expect((await raw(sandbox, `docker-options:add ${app} deploy --label a=b`)).code).toBe(0)
    // Dokku 0.38 keeps both (docs/dokku-contract.md#docker-options-add).
    expect((await dokku.dockerOptions.report(app)).deploy).toEqual([['--label', 'a=b'], ['--label', 'a=b']])
    expect((await raw(sandbox, `docker-options:add ${app} run -v /srv/data:/data --shm-size 256m`)).code).toBe(0)
    const report = await dokku.dockerOptions.report(app)
    expect(report.run).toContainEqual(['-v', '/srv/data:/data'])
    expect(report.run).toContainEqual(['--shm-size', '256m'])
    expect(report.run).toHaveLength(2)
    expect(report.build).toEqual([])
  })
})

describe.concurrent('checks and resource', () => {
  it('disables zero-downtime checks and reads the report', async () => {
    const app = await newApp('checks')
    expect(await dokku.checks.report(app)).toMatchObject({ disabled: ['none'], skipped: ['none'], waitToRetire: '60' })
    await dokku.checks.disable(app)
    await dokku.checks.disable(app)
    expect((await dokku.checks.report(app)).disabled).toEqual(['_all_'])
    // Enabled and wait-to-retire set raw: the actions only disable checks.
    expect((await raw(sandbox, `checks:enable ${app}`)).code).toBe(0)
    expect((await dokku.checks.report(app)).disabled).toEqual(['none'])
    await dokku.checks.disable(app, ['worker', 'cron'])
    expect((await dokku.checks.report(app)).disabled).toEqual(['worker', 'cron'])
    expect((await raw(sandbox, `checks:set ${app} wait-to-retire 30`)).code).toBe(0)
    const report = await dokku.checks.report(app)
    expect(report.waitToRetire).toBe('30')
    expect(report.raw['wait-to-retire']).toBe('30')
  })

  it('sets and clears resource limits, per process type too', async () => {
    const app = await newApp('resource')
    expect(await dokku.resource.report(app)).toEqual({})
    await dokku.resource.limit(app, { memory: '512m', cpu: '1.5' })
    await dokku.resource.limit(app, { memory: '256m' }, { processType: 'worker' })
    await dokku.resource.limit(app, { memory: '2g' }, { processType: 'build' })
    expect(await dokku.resource.report(app)).toEqual({
      '_default_-limit-memory': '512m',
      '_default_-limit-cpu': '1.5',
      'worker-limit-memory': '256m',
      'build-limit-memory': '2g'
    })
    await dokku.resource.limit(app, { memory: 'clear' })
    expect(await dokku.resource.report(app)).not.toHaveProperty('_default_-limit-memory')
    await expect(dokku.resource.limit(app, { memory: '1g; reboot' })).rejects.toBeInstanceOf(DokkuArgumentError)
  })
})

describe.concurrent('plugins over the dokku user', () => {
  it('lists plugins, and refuses root-only commands before sending them', async () => {
    // A connection of its own: the other tests of this file run concurrently and log on theirs.
    const { dokku, logger } = await connect(sandbox)
    const plugins = await dokku.plugins.list()
    expect(plugins).toContainEqual({ name: 'postgres', version: '1.48.0', enabled: true, description: 'dokku postgres service plugin' })
    expect(plugins).toContainEqual({ name: 'redis', version: '1.43.0', enabled: true, description: 'dokku redis service plugin' })
    expect(plugins.find((p) => p.name === 'apps')).toMatchObject({ version: '0.38.27', enabled: true })
    const before = logger.lines.length
    await expect(dokku.plugins.install('https://github.com/dokku/dokku-postgres.git')).rejects.toBeInstanceOf(RootRequiredError)
    // Nothing was sent: not even the "running …" debug line was logged.
    expect(logger.lines.slice(before)).toEqual([])
    // What Dokku itself would have answered:
    expect(await raw(sandbox, 'plugin:installed postgres')).toMatchObject({ code: 1, stderr: ' !     This command must be run as root\n' })
  })
})
