// postgres:* and redis:* backed by the real PostgreSQL cluster and real redis-server (docs/dokku-contract.md#services, #redis).
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: ['postgres', 'redis'] })

function psql(url: string, sql: string): string {
  const r = spawnSync('/usr/lib/postgresql/15/bin/psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return r.stdout.trim()
}

describe('[postgres, service-create, service-exists, service-info, service-link, service-linked, service-promote, service-unlink, service-export-import, service-expose, service-destroy] postgres', () => {
  it('create makes a real database; not idempotent; exists/list/info', async () => {
    const r = await h.dokku('postgres:create db-one')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('       Waiting for container to be ready\n       Creating container database\n       Securing connection to database\n=====> Postgres container created: db-one\n=====> db-one postgres service information\n')
    expect(await h.dokku('postgres:create db-one')).toMatchObject({ code: 1, stderr: ' !     Postgres service db-one already exists\n' })
    expect((await h.dokku('postgres:create d.erp')).code).toBe(1)
    expect(await h.dokku('postgres:exists db-one')).toMatchObject({ code: 0, stdout: '-----> Service db-one exists\n' })
    expect(await h.dokku('postgres:exists nope')).toMatchObject({ code: 1, stderr: ' !     Postgres service nope does not exist\n' })
    expect((await h.dokku('--quiet postgres:list')).stdout).toBe('db-one\n')
    const dsn = (await h.dokku('postgres:info db-one --dsn')).stdout.trim()
    expect(dsn).toMatch(/^postgres:\/\/postgres:[0-9a-f]{32}@dokku-postgres-db-one:5432\/db_one$/)
    expect((await h.dokku('postgres:info db-one --links')).stdout).toBe('-\n')
    expect((await h.dokku('postgres:info db-one --nope')).stderr).toBe(' !     Invalid flag passed, valid flags: --config-dir --config-options --data-dir --dsn --exposed-ports --id --internal-ip --initial-network --links --post-create-network --post-start-network --service-root --status --version\n')
    const real = await h.sandbox.realPostgresUrl('db-one')
    expect(real).toContain(dsn.split(':')[2]?.split('@')[0] as string)
    expect(psql(real, 'select 1')).toBe('1')
  })

  it('link sets DATABASE_URL (clear text), docker --link options, colours for the second service; twice fails', async () => {
    await h.dokku('apps:create papp')
    const r = await h.dokku('postgres:link db-one papp')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^-----> Setting config vars\n {7}DATABASE_URL: {2}postgres:\/\/postgres:[0-9a-f]{32}@dokku-postgres-db-one:5432\/db_one\n$/)
    expect(await h.dokku('postgres:link db-one papp')).toMatchObject({ code: 1, stderr: ' !     Already linked as DATABASE_URL\n' })
    expect((await h.dokku('docker-options:report papp --docker-options-deploy')).stdout).toBe('--link dokku.postgres.db-one:dokku-postgres-db-one\n')
    expect(await h.dokku('postgres:linked db-one papp')).toMatchObject({ code: 0, stdout: '-----> Service db-one is linked to papp\n' })
    await h.dokku('postgres:create db-two')
    const second = await h.dokku('postgres:link db-two papp --no-restart')
    expect(second.stdout).toContain('DOKKU_POSTGRES_AQUA_URL')
    expect(second.stdout).toContain('       Skipping restart of linked app\n')
    expect((await h.dokku('postgres:link db-two nope')).code).toBe(20)
    expect((await h.dokku('postgres:link nope papp')).code).toBe(1)
    expect((await h.dokku('postgres:links db-one')).stdout).toBe('papp\n')
    expect((await h.dokku('postgres:app-links papp')).stdout).toBe('db-one\ndb-two\n')
    expect(await h.dokku('postgres:destroy --force db-one')).toMatchObject({ code: 1 })
    expect(await h.dokku('postgres:destroy db-one -f')).toMatchObject({ code: 1, stderr: ' !     Cannot delete linked service\n' })
  })

  it('promote swaps DATABASE_URL; unlink unsets and restarts; not linked fails after cleanup', async () => {
    const promote = await h.dokku('postgres:promote db-two papp')
    expect(promote.code).toBe(0)
    const env = JSON.parse((await h.dokku('config:export papp --format json')).stdout) as Record<string, string>
    expect(env.DATABASE_URL).toContain('dokku-postgres-db-two')
    expect(Object.values(env).some((v) => v.includes('dokku-postgres-db-one'))).toBe(true)
    const un = await h.dokku('postgres:unlink db-two papp')
    expect(un.code).toBe(0)
    expect(un.stdout).toContain('-----> Unsetting ')
    expect(await h.dokku('postgres:unlink db-two papp')).toMatchObject({ code: 1, stderr: ' !     Not linked to app papp\n' })
  })

  it('export is a real pg_dump -Fc; import restores it with pg_restore; a TTY-less empty stdin still runs', async () => {
    const real = await h.sandbox.realPostgresUrl('db-two')
    psql(real, "create table t(id int primary key, v text); insert into t values (1, 'one'), (2, 'two')")
    const dump = await h.sandbox.ssh('dokku', 'postgres:export db-two', { stdin: '' })
    expect(dump.code).toBe(0)
    expect(dump.stdoutBuffer.subarray(0, 5).toString()).toBe('PGDMP')
    psql(real, 'drop table t')
    const imp = await h.sandbox.ssh('dokku', 'postgres:import db-two', { stdin: dump.stdoutBuffer })
    expect(imp.code).toBe(0)
    expect(psql(real, 'select count(*) from t')).toBe('2')
  })

  it('connect reads a script on stdin without a TTY: ON_ERROR_STOP exits 3 at the first error; an input that ends inside a transaction commits nothing', async () => {
    // functions:13-21: docker exec -i (-t only with a TTY) … psql -v ON_ERROR_STOP=1; the exit is psql's.
    const real = await h.sandbox.realPostgresUrl('db-two')
    psql(real, 'create table c(id int)')
    const failed = await h.sandbox.ssh('dokku', 'postgres:connect db-two', { stdin: 'insert into c values (1);\nselect no_such_column from c;\ninsert into c values (2);\n' })
    expect(failed.code).toBe(3)
    expect(failed.stderr).toContain('no_such_column')
    expect(psql(real, 'select string_agg(id::text, \',\') from c')).toBe('1')
    // The end of the input before COMMIT: psql exits 0, and the server rolls the transaction back.
    const cut = await h.sandbox.ssh('dokku', 'postgres:connect db-two', { stdin: 'BEGIN;\ndelete from c;\ninsert into c values (3);\n' })
    expect(cut.code).toBe(0)
    expect(psql(real, 'select string_agg(id::text, \',\') from c')).toBe('1')
    psql(real, 'drop table c')
  })

  it('expose is not idempotent; destroy with force', async () => {
    const e = await h.dokku('postgres:expose db-two 54321')
    expect(e.stdout).toBe('-----> Service db-two exposed on port(s) [container->host]: 5432->54321 \n')
    expect(await h.dokku('postgres:expose db-two')).toMatchObject({ code: 1, stderr: ' !     Service db-two already exposed on port(s) 54321\n' })
    expect((await h.dokku('postgres:unexpose db-two')).stdout).toBe('-----> Service db-two unexposed\n')
    const noForce = await h.dokku('postgres:destroy db-two')
    expect(noForce.code).toBe(1)
    expect(noForce.stderr).not.toContain('Confirmation did not match')
    const d = await h.dokku('--force postgres:destroy db-two')
    expect(d.code).toBe(0)
    expect(d.stdout).toBe('=====> Deleting db-two\n=====> Pausing container\n       Container paused\n       Removing container\n       Removing data\n=====> Postgres container deleted: db-two\n')
  })

  it('backup-auth is not idempotent', async () => {
    expect((await h.dokku('postgres:backup-auth db-one KEY SECRET us-east-1 s3v4 http://127.0.0.1:1')).code).toBe(0)
    const again = await h.dokku('postgres:backup-auth db-one KEY SECRET')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('File exists')
    expect((await h.dokku('postgres:backup-deauth db-one')).code).toBe(0)
  })
})

describe('[redis, service-create, service-info, service-link, service-export-import, service-unlink, service-destroy, service-exists] redis', () => {
  it('create runs a real redis-server with requirepass; dsn form; link sets REDIS_URL', async () => {
    const r = await h.dokku('redis:create cache')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('=====> Redis container created: cache\n')
    expect(r.stdout).not.toContain('Creating container database')
    const dsn = (await h.dokku('redis:info cache --dsn')).stdout.trim()
    expect(dsn).toMatch(/^redis:\/\/:[0-9a-f]{64}@dokku-redis-cache:6379$/)
    const real = new URL(await h.sandbox.realRedisUrl('cache'))
    const ping = spawnSync('redis-cli', ['-h', real.hostname, '-p', real.port, '-a', decodeURIComponent(real.password), '--no-auth-warning', 'PING'], { encoding: 'utf8' })
    expect(ping.stdout.trim()).toBe('PONG')
    const noAuth = spawnSync('redis-cli', ['-h', real.hostname, '-p', real.port, 'GET', 'x'], { encoding: 'utf8' })
    expect(noAuth.stdout).toContain('NOAUTH')
    await h.dokku('apps:create rapp')
    const link = await h.dokku('redis:link cache rapp -q pool=5')
    expect(link.stdout).toContain(`REDIS_URL:  ${dsn}?pool=5`)
    expect((await h.dokku('redis:linked cache rapp')).code).toBe(0)
  })

  it('export is a real RDB with password warnings on stderr; import replaces the data silently', async () => {
    const real = new URL(await h.sandbox.realRedisUrl('cache'))
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-h', real.hostname, '-p', real.port, '-a', decodeURIComponent(real.password), '--no-auth-warning', ...args], { encoding: 'utf8' }).stdout.trim()
    cli('SET', 'k', 'v1')
    await new Promise((r) => setTimeout(r, 1100))
    const dump = await h.sandbox.ssh('dokku', 'redis:export cache', { stdin: '', timeoutMs: 90_000 })
    expect(dump.code).toBe(0)
    expect(dump.stdoutBuffer.subarray(0, 5).toString()).toBe('REDIS')
    expect(dump.stderr).toContain("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.")
    cli('SET', 'k', 'v2')
    const imp = await h.sandbox.ssh('dokku', 'redis:import cache', { stdin: dump.stdoutBuffer })
    expect(imp).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(cli('GET', 'k')).toBe('v1')
  })

  it('unlink, destroy, list', async () => {
    expect((await h.dokku('redis:unlink cache rapp --no-restart')).stdout).toContain('       Skipping restart of linked app\n')
    expect((await h.dokku('config:get rapp REDIS_URL')).code).toBe(1)
    expect((await h.dokku('redis:destroy cache -f')).stdout).toContain('=====> Redis container deleted: cache\n')
    expect(await h.dokku('redis:list')).toMatchObject({ code: 0, stderr: ' !     There are no Redis services\n' })
  })
})
