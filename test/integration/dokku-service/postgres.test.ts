// dokku-service against the shared sandbox host: dokku-postgres and dokku-redis backed by real
// PostgreSQL and Redis servers, the app a real container process restarted by the simulator.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { changingCommands, config, containerPid, deployTinyApp, dokku, inputsFor, liveEnv, psql, restarts, runBundle, runService } from './helpers.ts'

const sandbox = sharedSandbox()

describe('dokku-service: postgres', () => {
  const app = 'ds-pg-app'
  const service = 'ds-pg'
  const inputs = (extra: Record<string, string> = {}) => inputsFor(sandbox, { engine: 'postgres', service, app, ...extra })
  // `postgres:info <svc> --version` cannot travel over the dokku user's forced command (its xargs
  // runs /bin/echo, which takes --version as its own option): read the full block instead.
  const serviceVersion = async () => /^ {7}Version: +(\S+)/m.exec((await dokku(sandbox, `postgres:info ${service}`)).stdout)?.[1]

  it('creates and links the database, restarting the deployed app exactly once; the app reaches it through the linked URL', async () => {
    await deployTinyApp(sandbox, app)
    const pid = await containerPid(sandbox, app)
    const before = await restarts(sandbox, app)

    const first = await runService(inputs())
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ service, changed: 'true' })
    expect(first.outputs.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]{32}@dokku-postgres-ds-pg:5432\/ds_pg$/)
    expect(changingCommands(first.log)).toEqual([
      'postgres:create ds-pg',
      'postgres:link ds-pg ds-pg-app --alias DATABASE --no-restart',
      'ps:restart ds-pg-app'
    ])
    expect(await restarts(sandbox, app)).toBe(before + 1)
    expect(await containerPid(sandbox, app)).not.toBe(pid)

    // The linked URL is what the app's container really runs with, and it opens the real database.
    const url = first.outputs.url as string
    expect((await config(sandbox, app)).DATABASE_URL).toBe(url)
    expect((await liveEnv(sandbox, app)).DATABASE_URL).toBe(url)
    const linked = new URL(url)
    const real = new URL(await sandbox.realPostgresUrl(service))
    expect(decodeURIComponent(linked.password)).toBe(decodeURIComponent(real.password))
    real.pathname = linked.pathname
    expect(psql(real.toString(), 'select current_database()')).toBe('ds_pg')
    expect((await dokku(sandbox, `docker-options:report ${app} --docker-options-deploy`)).stdout).toBe('--link dokku.postgres.ds-pg:dokku-postgres-ds-pg\n')

    // The password reached the runner only as a mask, never in a log line, the summary or stdout.
    const password = decodeURIComponent(linked.password)
    expect(first.rawStdout).toContain(`::add-mask::${password}`)
    expect(first.rawStdout).toContain(`::add-mask::${url}`)
    expect(first.everything).not.toContain(password)
    expect(first.summary).toContain('dokku-service: postgres ds-pg')
    expect(first.summary).toContain('DATABASE_URL')
  })

  it('changes and restarts nothing on a second run against the converged host', async () => {
    const pid = await containerPid(sandbox, app)
    const before = await restarts(sandbox, app)
    const again = await runService(inputs())
    expect(again.error).toBeUndefined()
    expect(again.outputs).toMatchObject({ service, changed: 'false' })
    expect(again.outputs.url).toBe((await config(sandbox, app)).DATABASE_URL)
    expect(again.log).toContain('postgres service ds-pg (linked to ds-pg-app): nothing to do; the host is already as asked.')
    expect(changingCommands(again.log)).toEqual([])
    expect(await restarts(sandbox, app)).toBe(before)
    expect(await containerPid(sandbox, app)).toBe(pid)
  })

  it('repairs a link that stopped half-way, without duplicating its docker option, with one restart', async () => {
    // What a link interrupted after its docker option and LINKS entry looks like: the URL is missing.
    expect((await dokku(sandbox, `config:unset --no-restart ${app} DATABASE_URL`)).code).toBe(0)
    const before = await restarts(sandbox, app)
    const repaired = await runService(inputs())
    expect(repaired.error).toBeUndefined()
    expect(repaired.outputs.changed).toBe('true')
    expect(changingCommands(repaired.log)).toEqual([
      'postgres:unlink ds-pg ds-pg-app --no-restart',
      'postgres:link ds-pg ds-pg-app --alias DATABASE --no-restart',
      'ps:restart ds-pg-app'
    ])
    expect((await dokku(sandbox, `docker-options:report ${app} --docker-options-deploy`)).stdout).toBe('--link dokku.postgres.ds-pg:dokku-postgres-ds-pg\n')
    expect((await dokku(sandbox, `postgres:linked ${service} ${app}`)).code).toBe(0)
    expect(await restarts(sandbox, app)).toBe(before + 1)
    expect((await runService(inputs())).outputs.changed).toBe('false')
  })

  it('reports another image version without upgrading it; upgrade: true upgrades and restarts the app once', async () => {
    const reported = await runService(inputs({ 'image-version': '18.5' }))
    expect(reported.error).toBeUndefined()
    expect(reported.outputs.changed).toBe('false')
    expect(reported.log).toContain('warning: ds-pg runs postgres:18.4, not postgres:18.5: left as it is. Set upgrade: true')
    expect(reported.summary).toContain('ds-pg runs postgres:18.4, not postgres:18.5')
    expect(await serviceVersion()).toBe('postgres:18.4')

    const before = await restarts(sandbox, app)
    const upgraded = await runService(inputs({ 'image-version': '18.5', upgrade: 'true' }))
    expect(upgraded.error).toBeUndefined()
    expect(changingCommands(upgraded.log)).toEqual(['postgres:upgrade ds-pg --image postgres --image-version 18.5 --restart-apps false', 'ps:restart ds-pg-app'])
    expect(await serviceVersion()).toBe('postgres:18.5')
    expect(await restarts(sandbox, app)).toBe(before + 1)
    expect((await runService(inputs({ 'image-version': '18.5', upgrade: 'true' }))).outputs.changed).toBe('false')
  })

  it('plans in a dry run and touches nothing', async () => {
    const dry = await runService(inputsFor(sandbox, { engine: 'postgres', service: 'ds-pg-dry', app: 'ds-pg-dry-app', 'dry-run': 'true' }))
    expect(dry.error).toBeUndefined()
    expect(dry.outputs).toMatchObject({ service: 'ds-pg-dry', changed: 'false' })
    expect(dry.outputs.url).toBeUndefined()
    expect(dry.log).toContain('1. create postgres service ds-pg-dry (postgres service ds-pg-dry does not exist yet)')
    expect(dry.log).toContain('2. create the app ds-pg-dry-app')
    expect(dry.summary).toContain('What would change:\n- would create postgres service ds-pg-dry\n- would create the app ds-pg-dry-app')
    expect(changingCommands(dry.log)).toEqual([])
    expect((await dokku(sandbox, 'postgres:exists ds-pg-dry')).code).toBe(1)
    expect((await dokku(sandbox, 'apps:exists ds-pg-dry-app')).code).toBe(20)
  })

  it('refuses an alias the app already uses for another URL, before changing anything', async () => {
    const other = 'ds-pg-alias'
    expect((await dokku(sandbox, `apps:create ${other}`)).code).toBe(0)
    expect((await dokku(sandbox, `config:set --no-restart ${other} DATABASE_URL=postgres://legacy:hunter22@legacy-db:5432/legacy`)).code).toBe(0)
    const collided = await runService(inputsFor(sandbox, { engine: 'postgres', service: 'ds-pg-alias-db', app: other }))
    expect(collided.error).toBeInstanceOf(ConfigurationError)
    expect(collided.error?.message).toContain('Alias collision: ds-pg-alias already has DATABASE_URL for something else (pointing at legacy-db:5432/legacy); nothing was changed.')
    expect(collided.everything).not.toContain('hunter22')
    expect(changingCommands(collided.log)).toEqual([])
    expect((await dokku(sandbox, 'postgres:exists ds-pg-alias-db')).code).toBe(1)
    // Another alias links beside it.
    const aside = await runService(inputsFor(sandbox, { engine: 'postgres', service: 'ds-pg-alias-db', app: other, 'link-alias': 'primary' }))
    expect(aside.error).toBeUndefined()
    const env = await config(sandbox, other)
    expect(env.DATABASE_URL).toBe('postgres://legacy:hunter22@legacy-db:5432/legacy')
    expect(env.PRIMARY_URL).toBe(aside.outputs.url)
  })

  it('refuses bad names before connecting', async () => {
    // Nothing listens on port 1: a connection attempt would fail differently.
    const bad = await runService({ ...inputsFor(sandbox, { engine: 'postgres', service: 'd.erp', app }), 'ssh-port': '1' })
    expect(bad.error).toBeInstanceOf(ConfigurationError)
    expect(bad.error?.message).toBe('Input "service" must be a service name (letters, digits, underscores and hyphens); got "d.erp". For example "d-erp".')
    expect(bad.log).toBe('')
    const badApp = await runService({ ...inputsFor(sandbox, { engine: 'postgres', service, app: 'Uro_App' }), 'ssh-port': '1' })
    expect(badApp.error?.message).toContain('Input "app" must be a Dokku app name')
  })

  it('destroys only when asked twice, unlinking the app first', async () => {
    const unconfirmed = await runService({ ...inputs({ destroy: 'true' }), 'ssh-port': '1' })
    expect(unconfirmed.error).toBeInstanceOf(ConfigurationError)
    expect(unconfirmed.error?.message).toBe('Input "destroy" is true, which deletes postgres service ds-pg and its data. To confirm, also set confirm-destroy: ds-pg.')
    const wrong = await runService(inputs({ destroy: 'true', 'confirm-destroy': 'ds-pg-other' }))
    expect(wrong.error?.message).toContain('Nothing was deleted.')
    expect((await dokku(sandbox, `postgres:exists ${service}`)).code).toBe(0)

    const before = await restarts(sandbox, app)
    const destroyed = await runService(inputs({ destroy: 'true', 'confirm-destroy': service }))
    expect(destroyed.error).toBeUndefined()
    expect(destroyed.outputs).toMatchObject({ service, changed: 'true' })
    expect(destroyed.outputs.url).toBeUndefined()
    expect(changingCommands(destroyed.log)).toEqual(['postgres:unlink ds-pg ds-pg-app --no-restart', 'postgres:destroy ds-pg -f'])
    expect((await dokku(sandbox, `postgres:exists ${service}`)).code).toBe(1)
    expect((await config(sandbox, app)).DATABASE_URL).toBeUndefined()
    expect(await restarts(sandbox, app)).toBe(before)
    const again = await runService(inputs({ destroy: 'true', 'confirm-destroy': service }))
    expect(again.outputs.changed).toBe('false')
    expect(again.log).toContain('postgres service ds-pg does not exist; nothing to destroy.')
  })
})

describe('dokku-service: redis', () => {
  it('creates and links REDIS_URL with a querystring; the app reaches the real server; a re-run changes nothing', async () => {
    const app = 'ds-redis-app'
    await deployTinyApp(sandbox, app)
    const inputs = inputsFor(sandbox, { engine: 'redis', service: 'ds-cache', app, querystring: 'pool=5' })
    const first = await runService(inputs)
    expect(first.error).toBeUndefined()
    expect(first.outputs.url).toMatch(/^redis:\/\/:[0-9a-f]{64}@dokku-redis-ds-cache:6379\?pool=5$/)
    expect(changingCommands(first.log)).toEqual(['redis:create ds-cache', 'redis:link ds-cache ds-redis-app --alias REDIS --querystring pool=5 --no-restart', 'ps:restart ds-redis-app'])
    const url = (await liveEnv(sandbox, app)).REDIS_URL as string
    expect(url).toBe(first.outputs.url)
    const password = decodeURIComponent(new URL(url).password)
    const real = new URL(await sandbox.realRedisUrl('ds-cache'))
    const ping = spawnSync('redis-cli', ['-h', real.hostname, '-p', real.port, '-a', password, '--no-auth-warning', 'PING'], { encoding: 'utf8' })
    expect(ping.stdout.trim()).toBe('PONG')
    expect(first.everything).not.toContain(password)

    const pid = await containerPid(sandbox, app)
    const again = await runService(inputs)
    expect(again.outputs.changed).toBe('false')
    expect(changingCommands(again.log)).toEqual([])
    expect(await containerPid(sandbox, app)).toBe(pid)
  })
})

describe('dist/dokku-service/index.js', () => {
  it('runs on Node 24 as the runner starts it: outputs in GITHUB_OUTPUT, the URL masked before anything else sees it', async () => {
    const inputs = inputsFor(sandbox, { engine: 'redis', service: 'ds-bundle-cache' })
    const first = await runBundle(inputs)
    expect(first.code).toBe(0)
    expect(first.outputs).toMatchObject({ service: 'ds-bundle-cache', changed: 'true' })
    const url = first.outputs.url as string
    const password = decodeURIComponent(new URL(url).password)
    const lines = first.stdout.split('\n')
    const masked = lines.findIndex((line) => line === `::add-mask::${password}`)
    expect(masked).toBeGreaterThanOrEqual(0)
    expect(lines.filter((line) => !line.startsWith('::add-mask::')).join('\n')).not.toContain(password)
    const again = await runBundle(inputs)
    expect(again.code).toBe(0)
    expect(again.outputs).toMatchObject({ changed: 'false', url })
  })
})
