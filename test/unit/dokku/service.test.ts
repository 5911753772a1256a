import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseDashList, parseServiceDsn, parseServiceInfo, parseServiceList } from '../../../src/core/dokku/parse/service.js'
import { clearSecretsForTest, redact } from '../../../src/core/secrets.js'
import { POSTGRES_INFO_TEXT, REDIS_INFO_TEXT } from './fixtures.js'

vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<typeof import('@actions/core')>()), setSecret: vi.fn() }))

afterEach(() => clearSecretsForTest())

describe('postgres:info / redis:info blocks (docs/dokku-contract.md#service-info)', () => {
  it('reads the postgres sample', () => {
    const info = parseServiceInfo(POSTGRES_INFO_TEXT)
    expect(info).toEqual({
      configDir: '/var/lib/dokku/services/postgres/lollipop/data',
      configOptions: '',
      dataDir: '/var/lib/dokku/services/postgres/lollipop/data',
      dsn: 'postgres://postgres:<32hex>@dokku-postgres-lollipop:5432/lollipop',
      exposedPorts: [],
      id: '<64-hex container id>',
      internalIp: '172.17.0.5',
      initialNetwork: '',
      links: ['playground'],
      postCreateNetwork: '',
      postStartNetwork: '',
      serviceRoot: '/var/lib/dokku/services/postgres/lollipop',
      status: 'running',
      version: 'postgres:18.4'
    })
  })

  it('reads the redis sample with its real trailing spaces', () => {
    const info = parseServiceInfo(REDIS_INFO_TEXT)
    expect(info.dsn).toBe('redis://:<64-hex>@dokku-redis-lollipop:6379')
    expect(info.configOptions).toBe('')
    expect(info.exposedPorts).toEqual([])
    expect(info.internalIp).toBe('172.17.0.4')
    expect(info.links).toEqual(['playground'])
    expect(info.status).toBe('running')
    expect(info.version).toBe('redis:8.8.0')
  })

  it('registers the DSN and its password as secrets the moment it is parsed', () => {
    parseServiceInfo(POSTGRES_INFO_TEXT)
    expect(redact('error: postgres://postgres:<32hex>@dokku-postgres-lollipop:5432/lollipop')).toBe('error: ***')
    expect(redact('PGPASSWORD=<32hex>')).toBe('PGPASSWORD=***')
  })
})

describe('single info flags', () => {
  const pw = '5f3c1a9e8b7d6c4e2f1a0b9c8d7e6f5a'

  it('parses the exact postgres --dsn form and registers it (docs/dokku-contract.md#service-info)', () => {
    const dsn = parseServiceDsn(`postgres://postgres:${pw}@dokku-postgres-db:5432/db\n`)
    expect(dsn).toEqual({ dsn: `postgres://postgres:${pw}@dokku-postgres-db:5432/db`, scheme: 'postgres', user: 'postgres', password: pw, host: 'dokku-postgres-db', port: 5432, database: 'db' })
    expect(redact(`password ${pw} leaked`)).toBe('password *** leaked')
  })

  it('parses the exact redis --dsn form: empty user, no path (docs/dokku-contract.md#service-info)', () => {
    const redisPw = `${pw}${pw}`
    const dsn = parseServiceDsn(`redis://:${redisPw}@dokku-redis-cache:6379\n`)
    expect(dsn).toMatchObject({ scheme: 'redis', user: '', password: redisPw, host: 'dokku-redis-cache', port: 6379, database: '' })
    expect(redact(redisPw)).toBe('***')
  })

  it('refuses output that is not a DSN', () => {
    expect(() => parseServiceDsn(' !     Postgres service db does not exist\n')).toThrow(/Could not read a service DSN/)
  })

  it('reads --links and --exposed-ports: `-` for none, else space-joined with a trailing space', () => {
    expect(parseDashList('-\n')).toEqual([])
    expect(parseDashList('app1 app2 \n')).toEqual(['app1', 'app2'])
    expect(parseDashList('5432->12345 \n')).toEqual(['5432->12345'])
  })

  it('reads `--quiet postgres:list`; no services is stderr only, so []', () => {
    expect(parseServiceList('db\ndb-staging\n')).toEqual(['db', 'db-staging'])
    expect(parseServiceList('')).toEqual([])
    expect(parseServiceList('=====> Postgres services\ndb\n')).toEqual(['db'])
  })
})
