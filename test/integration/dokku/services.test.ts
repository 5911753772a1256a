// DokkuClient postgres:* and redis:* against the sandbox host, whose services are real: a database and
// role on a real PostgreSQL, a real redis-server each. Export streams into a Writable and import reads
// a Readable, and the data is proven to survive the round trip with the real clients (psql, redis-cli).
import { execFile } from 'node:child_process'
import { Readable, Writable } from 'node:stream'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppNotFoundError, ServiceNotFoundError, type DokkuClient, type ServicePlugin } from '../../../src/core/dokku/index.js'
import type { RecordingLogger } from '../../../src/core/log.js'
import { redact } from '../../../src/core/secrets.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { connect, rejection, unique } from './helpers.ts'

const exec = promisify(execFile)
const sandbox = sharedSandbox()
let dokku: DokkuClient
let logger: RecordingLogger
const cleanup: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  ;({ dokku, logger } = await connect(sandbox))
})
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined)
})

/** A Writable that keeps everything written to it. */
function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      done()
    }
  })
  return { sink, bytes: () => Buffer.concat(chunks) }
}

/** Splits a buffer into small chunks, so that import reads a real stream and not one buffer. */
function chunked(data: Buffer): Readable {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += 4096) parts.push(data.subarray(i, i + 4096))
  return Readable.from(parts)
}

/** The real redis-cli against the service's real server (redis-cli 7.0 sends no AUTH for `-u redis://:pw@…`). */
async function redisCli(service: string, ...args: string[]): Promise<string> {
  const url = new URL(await sandbox.realRedisUrl(service))
  const { stdout } = await exec('redis-cli', ['-h', url.hostname, '-p', url.port, '-a', decodeURIComponent(url.password), '--no-auth-warning', ...args])
  return stdout.trim()
}

interface Backend {
  /** Writes rows / keys into the service through its real server. */
  seed(service: string): Promise<void>
  /** What the service holds, read through its real server. */
  read(service: string): Promise<string>
  expected: string
  /** The first bytes of an export: pg_dump custom format, or a Redis RDB file. */
  magic: string
  dsn: RegExp
  variable: string
}

const BACKENDS: Record<ServicePlugin, Backend> = {
  postgres: {
    async seed(service) {
      const url = await sandbox.realPostgresUrl(service)
      await exec('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', "CREATE TABLE notes (id int primary key, body text); INSERT INTO notes VALUES (1, 'héllo'), (2, 'it''s \"quoted\"'), (3, repeat('x', 100000))"])
    },
    async read(service) {
      const url = await sandbox.realPostgresUrl(service)
      return (await exec('psql', [url, '-X', '-qAt', '-c', 'SELECT id, left(body, 20), length(body) FROM notes ORDER BY id'])).stdout.trim()
    },
    expected: "1|héllo|5\n2|it's \"quoted\"|13\n3|xxxxxxxxxxxxxxxxxxxx|100000",
    magic: 'PGDMP',
    dsn: /^postgres:\/\/postgres:[0-9a-f]{32}@dokku-postgres-[a-z0-9-]+:5432\/[a-z0-9_]+$/,
    variable: 'DATABASE_URL'
  },
  redis: {
    async seed(service) {
      expect(await redisCli(service, 'MSET', 'greeting', 'héllo', 'quote', `it's "quoted"`, 'big', 'y'.repeat(100000))).toBe('OK')
    },
    async read(service) {
      return `${await redisCli(service, 'MGET', 'greeting', 'quote')}\n${await redisCli(service, 'STRLEN', 'big')}`
    },
    expected: `héllo\nit's "quoted"\n100000`,
    magic: 'REDIS',
    dsn: /^redis:\/\/:[0-9a-f]{64}@dokku-redis-[a-z0-9-]+:6379$/,
    variable: 'REDIS_URL'
  }
}

describe.concurrent.each(['postgres', 'redis'] as const)('%s:* on the sandbox host', (plugin) => {
  const backend = BACKENDS[plugin]

  it('creates once, reports info and the DSN (registered as a secret), links, unlinks and destroys', async () => {
    const services = dokku[plugin]
    const svc = unique(plugin.slice(0, 2))
    const app = unique(`${plugin.slice(0, 2)}-app`)
    await dokku.apps.create(app)
    cleanup.push(() => dokku.apps.destroy(app), () => services.unlink(svc, app), () => services.destroy(svc))

    expect(await services.exists(svc)).toBe(false)
    expect(await services.create(svc)).toEqual({ changed: true })
    expect(await services.create(svc)).toEqual({ changed: false, reason: 'exists' })
    expect(await services.exists(svc)).toBe(true)
    expect(await services.list()).toContain(svc)

    const dsn = await services.dsn(svc)
    expect(dsn.dsn).toMatch(backend.dsn)
    expect(redact(`the password is ${dsn.password}`)).toBe('the password is ***')
    expect(redact(dsn.dsn)).toBe('***')
    const info = await services.info(svc)
    expect(info).toMatchObject({ dsn: dsn.dsn, status: 'running', links: [], exposedPorts: [], serviceRoot: `${sandbox.root}/services/${plugin}/${svc}` })
    expect(info.version).toMatch(plugin === 'postgres' ? /^postgres:18\.4$/ : /^redis:8\.8\.0$/)

    // Linking prints the DSN in clear (config:set): the streamed lines never carry it.
    const lines: string[] = []
    expect(await services.links(svc)).toEqual([])
    expect(await services.link(svc, app, { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    // The echo filter drops every indented line after "Setting config vars" (a value may span lines),
    // so the plugin's "Skipping restart of linked app" goes with them: the safe side.
    expect(lines).toEqual(['-----> Setting config vars'])
    expect(lines.join('\n')).not.toContain(dsn.password)
    expect(await services.link(svc, app)).toEqual({ changed: false, reason: 'linked' })
    expect((await dokku.config.export(app))[backend.variable]).toBe(dsn.dsn)
    expect(await services.links(svc)).toEqual([app])
    expect((await services.info(svc)).links).toEqual([app])
    const link = `--link dokku.${plugin}.${svc}:dokku-${plugin}-${svc}`
    expect((await dokku.dockerOptions.report(app)).deploy.map((words) => words.join(' '))).toContain(link)
    await expect(services.destroy(svc)).rejects.toThrow(/Cannot delete linked service/)

    expect(await services.unlink(svc, app)).toEqual({ changed: true })
    expect(await services.unlink(svc, app)).toEqual({ changed: false, reason: 'absent' })
    expect(await services.links(svc)).toEqual([])
    expect((await dokku.config.export(app))[backend.variable]).toBeUndefined()
    expect(await services.link(svc, app, { alias: 'PRIMARY' })).toEqual({ changed: true })
    expect((await dokku.config.export(app))['PRIMARY_URL']).toBe(dsn.dsn)
    expect(await services.unlink(svc, app)).toEqual({ changed: true })

    await services.destroy(svc)
    expect(await services.exists(svc)).toBe(false)
    expect(await services.list()).not.toContain(svc)
    const gone = await rejection(services.info(svc))
    expect(gone).toBeInstanceOf(ServiceNotFoundError)
    expect(gone.message).toContain(`\`dokku ${plugin}:info ${svc}\` failed: ${plugin === 'postgres' ? 'Postgres' : 'Redis'} service "${svc}" does not exist`)
    await expect(services.destroy(svc)).rejects.toBeInstanceOf(ServiceNotFoundError)
    // A missing app is exit 20 even for a service command; a missing service is exit 1.
    await expect(services.link(svc, unique('nobody'))).rejects.toBeInstanceOf(AppNotFoundError)
    // Nothing the host printed reached the log, and the password never did.
    expect(logger.text()).not.toContain(dsn.password)
  })

  it('exports into a Writable and imports from a Readable: the data survives the round trip', async () => {
    const services = dokku[plugin]
    const source = unique(`${plugin.slice(0, 2)}-src`)
    const target = unique(`${plugin.slice(0, 2)}-dst`)
    cleanup.push(() => services.destroy(source), () => services.destroy(target))
    await services.create(source)
    await services.create(target)
    await backend.seed(source)

    const { sink, bytes } = collector()
    await services.export(source, sink, { timeoutMs: 60_000 })
    const dump = bytes()
    expect(dump.subarray(0, 5).toString('latin1')).toBe(backend.magic)
    expect(dump.length).toBeGreaterThan(50)

    await services.import(target, chunked(dump), { timeoutMs: 60_000 })
    expect(await backend.read(target)).toBe(backend.expected)
    expect(await backend.read(source)).toBe(backend.expected)
    expect((await services.info(target)).status).toBe('running')
  })
})

describe.concurrent('postgres:* beyond the basics', () => {
  it('creates with options, upgrades once, links a second service and runs SQL over connect', async () => {
    const primary = unique('pg-main')
    const replica = unique('pg-next')
    const app = unique('pg-links')
    cleanup.push(() => dokku.postgres.destroy(primary), () => dokku.postgres.destroy(replica), () => dokku.apps.destroy(app))
    cleanup.push(() => dokku.postgres.unlink(primary, app), () => dokku.postgres.unlink(replica, app))
    expect(await dokku.postgres.create(primary, { imageVersion: '17.6', customEnv: { TZ: 'UTC', LANG: 'C.UTF-8' }, memory: 512, shmSize: '256m' })).toEqual({ changed: true })
    expect(logger.text()).toContain(`running dokku postgres:create ${primary} --image-version 17.6 --custom-env '***' --memory 512 --shm-size 256m`)
    expect((await dokku.postgres.info(primary)).version).toBe('postgres:17.6')
    expect(await dokku.postgres.upgrade(primary, { imageVersion: '18.4' })).toEqual({ changed: true })
    expect((await dokku.postgres.info(primary)).version).toBe('postgres:18.4')
    expect(await dokku.postgres.upgrade(primary, { imageVersion: '18.4' })).toEqual({ changed: false, reason: 'up-to-date' })

    expect(await dokku.postgres.connect(primary, 'SELECT 41 + 1 AS answer;\n')).toMatch(/^\s*answer\s*\n-+\n\s*42\n\(1 row\)/)
    await expect(dokku.postgres.connect(primary, 'SELECT * FROM no_such_table;\n')).rejects.toThrow(/relation "no_such_table" does not exist/)

    await dokku.apps.create(app)
    await dokku.postgres.create(replica)
    await dokku.postgres.link(primary, app)
    await dokku.postgres.link(replica, app)
    const primaryDsn = (await dokku.postgres.dsn(primary)).dsn
    const replicaDsn = (await dokku.postgres.dsn(replica)).dsn
    expect(await dokku.config.export(app)).toMatchObject({ DATABASE_URL: primaryDsn, DOKKU_POSTGRES_AQUA_URL: replicaDsn })
    expect(logger.text()).not.toContain((await dokku.postgres.dsn(replica)).password)
  })
})

