// DokkuClient against sandbox hosts of its own: Dokku 0.37.5 (the version-dependent forms: text
// reports, apps:list text, the legacy storage form, docker-options de-duplication, no builds:*), and
// a 0.38.27 host without plugins (no apps at all, plugin:install as root, global properties that
// must not be changed on the shared host).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DokkuCommandError,
  DokkuFeatureUnavailableError,
  GLOBAL,
  STORAGE_ROOT,
  type DokkuClient
} from '../../../src/core/dokku/index.js'
import type { RecordingLogger } from '../../../src/core/log.js'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { connect, raw, rejection } from './helpers.ts'

describe('a Dokku 0.37.5 host', () => {
  let sandbox: Sandbox
  let dokku: DokkuClient
  let logger: RecordingLogger

  beforeAll(async () => {
    sandbox = await startSandbox({ dokkuVersion: '0.37.5', plugins: [] })
    ;({ dokku, logger } = await connect(sandbox))
  }, 120_000)
  afterAll(async () => {
    await sandbox?.stop()
  }, 60_000)

  it('reads the version and lists apps from the quiet text form, empty when Dokku says so on stderr', async () => {
    expect(dokku.version).toMatchObject({ major: 0, minor: 37, patch: 5, raw: '0.37.5' })
    expect(await raw(sandbox, 'apps:list')).toMatchObject({ code: 0, stdout: '', stderr: " !     You haven't deployed any applications yet\n" })
    expect(await dokku.apps.list()).toEqual([])
    expect(logger.text()).toContain('running dokku --quiet apps:list')
    await dokku.apps.create('web')
    await dokku.apps.create('api')
    expect(await dokku.apps.list()).toEqual(['api', 'web'])
  })

  it('reads Go reports with legacy keys and bash reports as text', async () => {
    const app = 'reports'
    await dokku.apps.create(app)
    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/old:1')).toEqual({ changed: true })
    expect(await dokku.apps.report(app)).toMatchObject({ deploySource: 'docker-image', deploySourceMetadata: 'ghcr.io/acme/old:1', locked: false })
    expect(await dokku.ps.report(app)).toMatchObject({ deployed: true, running: 'true' })
    expect(await dokku.domains.report(app)).toEqual({ appEnabled: true, appVhosts: [`${app}.sandbox.test`], globalEnabled: true, globalVhosts: ['sandbox.test'] })
    expect(await dokku.caddy.report(app)).toMatchObject({ image: 'lucaslorentz/caddy-docker-proxy:2.13', logLevel: 'ERROR', tlsInternal: 'false' })
    expect(await dokku.checks.report(app)).toMatchObject({ disabled: ['none'], skipped: ['none'], waitToRetire: '60' })
    expect(await dokku.git.report(app)).toMatchObject({ 'deploy-branch': 'master', 'source-image': 'ghcr.io/acme/old:1' })
    expect(await dokku.proxy.report(app)).toMatchObject({ type: 'nginx', enabled: true })
    // The bash reports were read without `--format json`, which 0.37 would take for an info flag.
    for (const command of ['domains:report', 'caddy:report', 'checks:report', 'git:report'])
      expect(logger.lines, command).toContain(`debug: running dokku ${command} ${app}`)
    expect(await dokku.ps.getScale(app)).toEqual({ web: 1 })
    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/old:1')).toEqual({ changed: false, reason: 'no-changes' })
  })

  it('puts a failed deploy’s text on stderr (no build capture before 0.38)', async () => {
    const app = 'failing'
    await dokku.apps.create(app)
    const error = await rejection(dokku.git.fromImage(app, 'ghcr.io/acme/fail-build:1'))
    expect(error).toBeInstanceOf(DokkuCommandError)
    expect((error as DokkuCommandError).stderrTail).toContain(' !     App build failed')
    expect(error.message).toMatch(/exited with code 1:\n[^]* ! {5}App build failed$/)
  })

  it('uses the legacy storage form: ensure-directory and host:container mounts', async () => {
    const app = 'storage'
    await dokku.apps.create(app)
    await dokku.storage.ensureDirectory('data', { chown: 'root' })
    expect(logger.text()).toContain('running dokku storage:ensure-directory --chown root data')
    expect(await dokku.storage.mount(app, 'data', '/app/data')).toEqual({ changed: true })
    expect(logger.text()).toContain(`running dokku storage:mount ${app} ${STORAGE_ROOT}/data:/app/data`)
    // The legacy form is not idempotent in Dokku ("Mount path already exists.", exit 1).
    expect(await dokku.storage.mount(app, 'data', '/app/data')).toEqual({ changed: false, reason: 'exists' })
    expect(await dokku.storage.ensureMount(app, 'data', '/app/data')).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.storage.list(app)).toMatchObject([{ hostPath: `${STORAGE_ROOT}/data`, containerPath: '/app/data', readonly: false }])
    expect(await dokku.storage.ensureMount(app, 'cache', '/app/cache')).toEqual({ changed: true })
    expect(await dokku.storage.unmount(app, 'cache', '/app/cache')).toEqual({ changed: true })
    expect(await dokku.storage.unmount(app, 'cache', '/app/cache')).toEqual({ changed: false, reason: 'absent' })
    await expect(dokku.storage.destroy('data')).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
  })

  it('reads docker-options, which Dokku ≤0.37 de-duplicates on add, from the text report', async () => {
    const app = 'dopts'
    await dokku.apps.create(app)
    // Added raw: the actions only read docker options (a service link's --link).
    expect((await raw(sandbox, `docker-options:add ${app} deploy --label a=b`)).code).toBe(0)
    expect((await raw(sandbox, `docker-options:add ${app} deploy --label a=b`)).code).toBe(0)
    expect((await raw(sandbox, `docker-options:add ${app} deploy,run -v /srv:/srv`)).code).toBe(0)
    expect(await dokku.dockerOptions.report(app)).toEqual({ build: [], deploy: [['--label', 'a=b'], ['-v', '/srv:/srv']], run: [['-v', '/srv:/srv']] })
  })

  it('refuses what 0.37 does not have before sending it, and lists plugins from the text form', async () => {
    const app = 'features'
    await dokku.apps.create(app)
    await expect(dokku.builds.cancel(app)).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
    await expect(dokku.caddy.report(GLOBAL)).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
    await expect(dokku.caddy.set(GLOBAL, 'tls-internal', 'true')).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
    await expect(dokku.domains.report(GLOBAL)).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
    await expect(dokku.resource.limit(app, { memory: '1g' }, { processType: 'build' })).rejects.toBeInstanceOf(DokkuFeatureUnavailableError)
    // What 0.37 has works: caddy labels (0.37.0+), config:import (0.37.0+).
    await dokku.caddy.addLabel(app, 'caddy.encode', 'gzip')
    expect(await dokku.caddy.labels(app)).toEqual({ 'caddy.encode': 'gzip' })
    expect(await dokku.config.import(app, { A: 'one two' })).toEqual({ changed: true })
    expect(await dokku.config.export(app)).toEqual({ A: 'one two' })
    const plugins = await dokku.plugins.list()
    expect(plugins.find((p) => p.name === 'apps')).toMatchObject({ version: '0.37.5', enabled: true, description: 'dokku core apps plugin' })
    expect(logger.lines).toContain('debug: running dokku plugin:list')
  })
})

describe('a Dokku 0.38.27 host without plugins', () => {
  let sandbox: Sandbox
  let dokku: DokkuClient
  let root: DokkuClient

  beforeAll(async () => {
    sandbox = await startSandbox({ plugins: [] })
    ;({ dokku } = await connect(sandbox))
    ;({ dokku: root } = await connect(sandbox, 'root'))
  }, 120_000)
  afterAll(async () => {
    await sandbox?.stop()
  }, 60_000)

  it('lists no apps as [] (apps:list --format json)', async () => {
    expect(await raw(sandbox, 'apps:list --format json')).toMatchObject({ code: 0, stdout: '[]\n' })
    expect(await dokku.apps.list()).toEqual([])
  })

  it('installs plugins as root, once', async () => {
    expect(root.version.raw).toBe('0.38.27')
    expect((await raw(sandbox, 'plugin:installed postgres', 'root')).code).toBe(1)
    expect(await root.postgres.list().catch((e: Error) => e.message)).toMatch(/`postgres:list` is not a dokku command/)
    expect(await root.plugins.install('https://github.com/dokku/dokku-postgres.git')).toEqual({ changed: true })
    expect((await raw(sandbox, 'plugin:installed postgres', 'root')).code).toBe(0)
    // plugin:install itself is not idempotent: "Plugin already enabled", exit 1.
    expect(await root.plugins.install('https://github.com/dokku/dokku-postgres.git')).toEqual({ changed: false, reason: 'exists' })
    expect(await root.postgres.list()).toEqual([])
    // Other commands run as root too (re-executed as the dokku user on the host).
    expect(await root.apps.ensure('rooted')).toEqual({ changed: true })
    expect(await dokku.apps.list()).toEqual(['rooted'])
    const failed = await rejection(root.plugins.install('https://example.invalid/dokku-nothing.git'))
    expect(failed).toBeInstanceOf(DokkuCommandError)
    expect((failed as DokkuCommandError).exitCode).toBe(128)
  })

  it('sets and reads global caddy properties (0.38.6+ report keys)', async () => {
    expect(await dokku.caddy.report(GLOBAL)).toMatchObject({ letsencryptEmail: '', logLevel: '', tlsInternal: '' })
    await dokku.caddy.set(GLOBAL, 'letsencrypt-email', 'ops@example.com')
    await dokku.caddy.set(GLOBAL, 'log-level', 'info')
    await dokku.caddy.set(GLOBAL, 'tls-internal', 'true')
    expect(await dokku.caddy.report(GLOBAL)).toMatchObject({ letsencryptEmail: 'ops@example.com', logLevel: 'INFO', tlsInternal: 'true' })
    await dokku.apps.create('site')
    expect(await dokku.caddy.report('site')).toMatchObject({ letsencryptEmail: 'ops@example.com', logLevel: 'INFO', tlsInternal: 'true' })
    await dokku.caddy.set(GLOBAL, 'letsencrypt-email')
    expect((await dokku.caddy.report(GLOBAL)).letsencryptEmail).toBe('')
    expect(await dokku.domains.report(GLOBAL)).toMatchObject({ globalEnabled: true, globalVhosts: ['sandbox.test'] })
    // caddy:start / caddy:stop are idempotent.
    await dokku.caddy.start()
    await dokku.caddy.start()
    await dokku.caddy.stop()
    await dokku.caddy.stop()
  })
})
