// DokkuClient against the sandbox host: the per-app property groups (ports, domains, proxy, caddy,
// storage, network, docker-options, checks, resource) and plugin:list. Reports are read back after
// each change, and every ensure… helper is run twice to prove the second run changes nothing.
import { describe, expect, it } from 'vitest'
import { DokkuArgumentError, RootRequiredError, STORAGE_ROOT, type DokkuClient } from '../../../src/core/dokku/index.js'
import type { RecordingLogger } from '../../../src/core/log.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { clientWithApps, connect, raw, unique } from './helpers.ts'

const sandbox = sharedSandbox()
let dokku: DokkuClient
let logger: RecordingLogger
const newApp = clientWithApps(sandbox, (connected) => ({ dokku, logger } = connected))

describe.concurrent('ports, domains and proxy', () => {
  it('sets, adds, removes and ensures port maps', async () => {
    const app = await newApp('ports')
    expect(await dokku.ports.report(app)).toEqual({ map: [], detected: [] })
    expect(await dokku.ports.ensure(app, ['http:80:5000', 'https:443:5000'])).toEqual({ changed: true })
    expect((await dokku.ports.report(app)).map).toEqual([
      { scheme: 'http', hostPort: 80, containerPort: 5000 },
      { scheme: 'https', hostPort: 443, containerPort: 5000 }
    ])
    expect(await dokku.ports.ensure(app, ['https:443:5000', { scheme: 'http', hostPort: 80, containerPort: 5000 }])).toEqual({ changed: false, reason: 'up-to-date' })
    // ports:add fails in Dokku for a reused scheme:host-port: an exact repeat is an outcome, a conflict an error.
    expect(await dokku.ports.add(app, ['http:80:5000'])).toEqual({ changed: false, reason: 'exists' })
    await expect(dokku.ports.add(app, ['http:80:6000'])).rejects.toThrow(/The same scheme:host-port is being reused: http:80/)
    expect(await dokku.ports.add(app, ['http:8080:5000'])).toEqual({ changed: true })
    await dokku.ports.remove(app, [8080])
    await dokku.ports.remove(app, ['http:9999:5000']) // absent: a silent success
    expect((await dokku.ports.report(app)).map.map((m) => m.hostPort)).toEqual([80, 443])
    await dokku.ports.set(app, ['http:80:3000'])
    expect((await dokku.ports.report(app)).map).toEqual([{ scheme: 'http', hostPort: 80, containerPort: 3000 }])
    expect(await dokku.ports.ensure(app, [])).toEqual({ changed: true })
    expect((await dokku.ports.report(app)).map).toEqual([])
    expect(await dokku.ports.ensure(app, [])).toEqual({ changed: false, reason: 'up-to-date' })
    // A deploy detects the default map.
    await dokku.git.fromImage(app, 'ghcr.io/acme/ports:1')
    expect((await dokku.ports.report(app)).detected).toEqual([{ scheme: 'http', hostPort: 80, containerPort: 5000 }])
  })

  it('sets, adds, removes and ensures domains', async () => {
    const app = await newApp('domains')
    const initial = await dokku.domains.report(app)
    expect(initial).toEqual({ appEnabled: true, appVhosts: [`${app}.sandbox.test`], globalEnabled: true, globalVhosts: ['sandbox.test'] })
    expect(await dokku.domains.ensure(app, ['api.example.com', 'www.example.com'])).toEqual({ changed: true })
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['api.example.com', 'www.example.com'])
    expect(await dokku.domains.ensure(app, ['www.example.com', 'api.example.com'])).toEqual({ changed: false, reason: 'up-to-date' })
    await dokku.domains.add(app, ['api.example.com', 'new.example.com']) // a repeat is skipped by Dokku
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['api.example.com', 'www.example.com', 'new.example.com'])
    await dokku.domains.remove(app, ['www.example.com', 'absent.example.com'])
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['api.example.com', 'new.example.com'])
    await dokku.domains.set(app, ['only.example.com'])
    expect((await dokku.domains.report(app)).appVhosts).toEqual(['only.example.com'])
    expect(await dokku.domains.ensure(app, [])).toEqual({ changed: true })
    expect((await dokku.domains.report(app)).appVhosts).toEqual([])
    await expect(dokku.domains.add(app, ['two words.example.com'])).rejects.toBeInstanceOf(DokkuArgumentError)
  })

  it('sets the proxy type, disables and enables it', async () => {
    const app = await newApp('proxy')
    expect(await dokku.proxy.report(app)).toMatchObject({ type: 'nginx', enabled: true })
    expect(await dokku.proxy.ensureType(app, 'caddy')).toEqual({ changed: true })
    const report = await dokku.proxy.report(app)
    expect(report).toMatchObject({ type: 'caddy', enabled: true })
    expect(report.raw['type']).toBe('caddy')
    expect(await dokku.proxy.ensureType(app, 'caddy')).toEqual({ changed: false, reason: 'up-to-date' })
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
    expect(await dokku.caddy.report(app)).toEqual({
      image: 'lucaslorentz/caddy-docker-proxy:2.13',
      letsencryptEmail: '',
      letsencryptServer: 'https://acme-v02.api.letsencrypt.org/directory',
      logLevel: 'ERROR',
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

  it('adds, shows, removes and ensures labels', async () => {
    const app = await newApp('labels')
    expect(await dokku.caddy.labels(app)).toEqual({})
    await dokku.caddy.addLabel(app, 'caddy.handle_path', '/api/*')
    await dokku.caddy.addLabel(app, 'caddy.header', 'X-Frame-Options DENY')
    expect(await dokku.caddy.labels(app)).toEqual({ 'caddy.handle_path': '/api/*', 'caddy.header': 'X-Frame-Options DENY' })
    expect(await dokku.caddy.label(app, 'caddy.header')).toBe('X-Frame-Options DENY')
    expect(await dokku.caddy.label(app, 'caddy.unset')).toBe('')
    await dokku.caddy.addLabel(app, 'caddy.header', 'X-Frame-Options SAMEORIGIN')
    expect(await dokku.caddy.label(app, 'caddy.header')).toBe('X-Frame-Options SAMEORIGIN')
    await dokku.caddy.removeLabel(app, 'caddy.header')
    await dokku.caddy.removeLabel(app, 'caddy.header')
    expect(await dokku.caddy.labels(app)).toEqual({ 'caddy.handle_path': '/api/*' })

    const desired = { 'caddy.encode': 'zstd gzip', 'caddy.handle_path': '/v2/*' }
    expect(await dokku.caddy.ensureLabels(app, desired)).toEqual({ changed: true })
    expect(await dokku.caddy.labels(app)).toEqual(desired)
    expect(await dokku.caddy.ensureLabels(app, desired)).toEqual({ changed: false, reason: 'up-to-date' })
    await dokku.caddy.addLabel(app, 'caddy.extra', 'x')
    expect(await dokku.caddy.ensureLabels(app, desired)).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.caddy.ensureLabels(app, desired, { prune: true })).toEqual({ changed: true })
    expect(await dokku.caddy.labels(app)).toEqual(desired)
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
    const report = await dokku.storage.report(app)
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
  it('ensures options once per phase although Dokku 0.38 stores duplicates, and removes them', async () => {
    const app = await newApp('dopts')
    await dokku.dockerOptions.add(app, ['deploy'], '--label a=b')
    await dokku.dockerOptions.add(app, ['deploy'], '--label a=b')
    // Dokku 0.38 keeps both (docs/dokku-contract.md#docker-options-add): the raw add is not idempotent.
    expect((await dokku.dockerOptions.report(app)).deploy).toEqual([['--label', 'a=b'], ['--label', 'a=b']])
    await dokku.dockerOptions.remove(app, ['deploy'], '--label a=b')
    expect((await dokku.dockerOptions.report(app)).deploy).toEqual([])

    const option = `--label 'caddy.tls=internal' -v /srv/data:/data --shm-size 256m`
    expect(await dokku.dockerOptions.ensure(app, ['deploy', 'run'], option)).toEqual({ changed: true })
    expect(await dokku.dockerOptions.ensure(app, ['deploy', 'run'], option)).toEqual({ changed: false, reason: 'up-to-date' })
    const report = await dokku.dockerOptions.report(app)
    const expected = [['--label', 'caddy.tls=internal'], ['--shm-size', '256m'], ['-v', '/srv/data:/data']]
    expect(report.deploy).toEqual(expected)
    expect(report.run).toEqual(expected)
    expect(report.build).toEqual([])
    // A part of it missing from one phase is added there only.
    await dokku.dockerOptions.remove(app, ['run'], '--shm-size 256m')
    expect(await dokku.dockerOptions.ensure(app, ['deploy', 'run'], option)).toEqual({ changed: true })
    expect((await dokku.dockerOptions.report(app)).run).toEqual(expected)
    expect((await dokku.dockerOptions.report(app)).deploy).toEqual(expected)

    expect(await dokku.dockerOptions.ensureAbsent(app, ['run'], '-v /srv/data:/data --label caddy.tls=internal')).toEqual({ changed: true })
    expect((await dokku.dockerOptions.report(app)).run).toEqual([['--shm-size', '256m']])
    expect(await dokku.dockerOptions.ensureAbsent(app, ['run'], '-v /srv/data:/data')).toEqual({ changed: false, reason: 'up-to-date' })
    await dokku.dockerOptions.remove(app, ['build'], '--nothing-here') // exits 0 when nothing matched

    // Scoped to one process type (0.38, deploy phase only): read back from the report's deploy.<process> key.
    expect(await dokku.dockerOptions.ensure(app, ['deploy'], '--shm-size 1g', { process: 'worker' })).toEqual({ changed: true })
    expect(await dokku.dockerOptions.ensure(app, ['deploy'], '--shm-size 1g', { process: 'worker' })).toEqual({ changed: false, reason: 'up-to-date' })
    expect((await dokku.dockerOptions.report(app)).deploy).toEqual(expected)
    expect(await dokku.dockerOptions.ensureAbsent(app, ['deploy'], '--shm-size 1g', { process: 'worker' })).toEqual({ changed: true })
    expect(await dokku.dockerOptions.ensureAbsent(app, ['deploy'], '--shm-size 1g', { process: 'worker' })).toEqual({ changed: false, reason: 'up-to-date' })
    await expect(dokku.dockerOptions.add(app, ['run'], '--init', { process: 'worker' })).rejects.toBeInstanceOf(DokkuArgumentError)
  })
})

describe.concurrent('checks and resource', () => {
  it('disables, skips and enables zero-downtime checks and sets wait-to-retire', async () => {
    const app = await newApp('checks')
    expect(await dokku.checks.report(app)).toMatchObject({ disabled: ['none'], skipped: ['none'], waitToRetire: '60' })
    await dokku.checks.disable(app)
    await dokku.checks.disable(app)
    expect((await dokku.checks.report(app)).disabled).toEqual(['_all_'])
    await dokku.checks.enable(app)
    expect((await dokku.checks.report(app)).disabled).toEqual(['none'])
    await dokku.checks.disable(app, ['worker', 'cron'])
    expect((await dokku.checks.report(app)).disabled).toEqual(['worker', 'cron'])
    await dokku.checks.set(app, 'wait-to-retire', 30)
    const report = await dokku.checks.report(app)
    expect(report.waitToRetire).toBe('30')
    expect(report.raw['wait-to-retire']).toBe('30')
    await dokku.checks.set(app, 'wait-to-retire')
    expect((await dokku.checks.report(app)).waitToRetire).toBe('60')
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
    await expect(dokku.plugins.installed('postgres')).rejects.toBeInstanceOf(RootRequiredError)
    await expect(dokku.plugins.install('https://github.com/dokku/dokku-postgres.git')).rejects.toBeInstanceOf(RootRequiredError)
    await expect(dokku.plugins.ensureInstalled('https://github.com/dokku/dokku-postgres.git')).rejects.toThrow(/must run as root/)
    // Nothing was sent: not even the "running …" debug line was logged.
    expect(logger.lines.slice(before)).toEqual([])
    // What Dokku itself would have answered:
    expect(await raw(sandbox, 'plugin:installed postgres')).toMatchObject({ code: 1, stderr: ' !     This command must be run as root\n' })
  })
})
