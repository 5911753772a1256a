// postgres:* (dokku-postgres 1.48.0) backed by a real database and login role on the
// sandbox's PostgreSQL cluster; export/import run the real pg_dump / pg_restore.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { readFile, serviceCommands, serviceRoot, spawnPassthrough } from './services.ts'
import type { ServicePluginIo } from './services.ts'

const BIN = '/usr/lib/postgresql/15/bin'

function admin(ctx: Ctx): { host: string; port: number; user: string } {
  const pg = ctx.config.postgres
  if (!pg) throw new Error('sandbox.json has no postgres section')
  return { host: pg.host, port: pg.port, user: pg.adminUser }
}

function tcpHost(ctx: Ctx): string {
  return (ctx.config.postgres as { tcpHost?: string } | undefined)?.tcpHost ?? '127.0.0.1'
}

function roleName(db: string): string {
  return `svc_${db}`.toLowerCase()
}

function psqlAdmin(ctx: Ctx, sql: string): { status: number; stderr: string } {
  const a = admin(ctx)
  const r = spawnSync(`${BIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', a.host, '-p', String(a.port), '-U', a.user, '-d', 'postgres', '-c', sql], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '10' } })
  return { status: r.status ?? 1, stderr: r.stderr ?? '' }
}

function quoteLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`
}

function serviceConn(ctx: Ctx, svc: string): { env: NodeJS.ProcessEnv; args: string[]; db: string } {
  const root = serviceRoot(ctx, postgres, svc)
  const db = readFile(join(root, 'DATABASE_NAME'))
  const env = { ...process.env, PGPASSWORD: readFile(join(root, 'PASSWORD')) }
  return { env, args: ['-h', tcpHost(ctx), '-p', String(admin(ctx).port), '-U', roleName(db)], db }
}

const postgres: ServicePluginIo = {
  name: 'postgres',
  service: 'Postgres',
  variable: 'POSTGRES',
  alias: 'DATABASE',
  scheme: 'postgres',
  port: 5432,
  image: 'postgres',
  imageVersion: '18.4',
  configSuffix: 'data',
  passwordBytes: 16,
  createSteps: ['Creating container database', 'Securing connection to database'],
  url: (svc, password, db, scheme) => `${scheme}://postgres:${password}@dokku-postgres-${svc.replace(/[._]/g, '-')}:5432/${db}`,
  async createReal(ctx, _svc, password, db) {
    const role = roleName(db)
    const dropOld = psqlAdmin(ctx, `DROP DATABASE IF EXISTS "${db}"`)
    if (dropOld.status !== 0) throw new Error(dropOld.stderr.trim())
    psqlAdmin(ctx, `DROP ROLE IF EXISTS "${role}"`)
    const r1 = psqlAdmin(ctx, `CREATE ROLE "${role}" LOGIN PASSWORD ${quoteLiteral(password)}`)
    if (r1.status !== 0) throw new Error(r1.stderr.trim())
    const r2 = psqlAdmin(ctx, `CREATE DATABASE "${db}" OWNER "${role}" ENCODING 'UTF8' TEMPLATE template0`)
    if (r2.status !== 0) throw new Error(r2.stderr.trim())
    return `postgresql://${role}:${password}@${tcpHost(ctx)}:${admin(ctx).port}/${db}`
  },
  destroyReal(ctx, svc) {
    const db = readFile(join(serviceRoot(ctx, postgres, svc), 'DATABASE_NAME'))
    psqlAdmin(ctx, `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)
    psqlAdmin(ctx, `DROP ROLE IF EXISTS "${roleName(db)}"`)
  },
  async startReal(ctx, svc) {
    const db = readFile(join(serviceRoot(ctx, postgres, svc), 'DATABASE_NAME'))
    return psqlAdmin(ctx, `ALTER ROLE "${roleName(db)}" LOGIN`).status === 0
  },
  stopReal(ctx, svc) {
    const db = readFile(join(serviceRoot(ctx, postgres, svc), 'DATABASE_NAME'))
    psqlAdmin(ctx, `ALTER ROLE "${roleName(db)}" NOLOGIN`)
    psqlAdmin(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(db)}`)
  },
  exportCmd(ctx, svc) {
    const c = serviceConn(ctx, svc)
    return spawnPassthrough(`${BIN}/pg_dump`, ['-Fc', '--no-acl', '--no-owner', ...c.args, '-w', c.db], c.env, 'ignore')
  },
  exportCmdTo(ctx, svc, fd) {
    const c = serviceConn(ctx, svc)
    return spawnPassthrough(`${BIN}/pg_dump`, ['-Fc', '--no-acl', '--no-owner', ...c.args, '-w', c.db], c.env, 'ignore', fd)
  },
  importCmd(ctx, svc) {
    const c = serviceConn(ctx, svc)
    return spawnPassthrough(`${BIN}/pg_restore`, [...c.args, '-cO', '--if-exists', '-d', c.db, '-w'], c.env, 'inherit')
  },
  connectCmd(ctx, svc) {
    const c = serviceConn(ctx, svc)
    return spawnPassthrough(`${BIN}/psql`, ['-X', '-v', 'ON_ERROR_STOP=1', ...c.args, c.db], c.env, 'inherit')
  },
  async copyData(ctx, from, to) {
    const a = serviceConn(ctx, from)
    const b = serviceConn(ctx, to)
    spawnSync('bash', ['-c', `PGPASSWORD="$1" "$3/pg_dump" -Fc --no-acl --no-owner -h "$5" -p "$6" -U "$7" -w "$8" | PGPASSWORD="$2" "$3/pg_restore" -cO --if-exists -h "$5" -p "$6" -U "$9" -d "$4" -w`, 'copy',
      a.env.PGPASSWORD as string, b.env.PGPASSWORD as string, BIN, b.db, tcpHost(ctx), String(admin(ctx).port), roleName(a.db), a.db, roleName(b.db)], { stdio: 'ignore' })
  },
  logs: () => ''
}

export const commands: Record<string, Handler> = serviceCommands(postgres)
