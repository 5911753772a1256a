// A throwaway PostgreSQL 15 cluster (Debian binaries) for the sandbox host: created with
// initdb as an unprivileged user (initdb refuses root), listening on 127.0.0.1 at a free port
// and on a Unix socket in a directory of the caller's choosing. The admin user connects
// without a password over the socket (trust) and with a password over TCP; every other role
// must use its password (scram-sha-256). fsync is off: the data is thrown away.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.ts'
import { sleep, startService, stopService, type Service } from './processes.ts'

const run = promisify(execFile)

export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin'
const START_ATTEMPTS = 4
const READY_TIMEOUT_MS = 15_000

export interface PostgresOptions {
  /** Directory for the cluster (created; owned by `user`). */
  dir: string
  /** Directory for the Unix socket (created; owned by `user`). */
  socketDir: string
  /** Unix user that owns and runs the cluster; also the superuser's role name. */
  user: string
  logPath: string
  /** Environment of the server (default process.env). */
  env?: NodeJS.ProcessEnv
}

export interface Postgres {
  host: '127.0.0.1'
  port: number
  socketDir: string
  dataDir: string
  adminUser: string
  adminPassword: string
  /** `postgres://USER:PASSWORD@127.0.0.1:PORT/postgres` */
  adminUrl: string
  /** `postgresql://USER@/postgres?host=SOCKETDIR&port=PORT` (trust, no password) */
  adminSocketUrl: string
  pid: number
  stop(): Promise<void>
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

export async function startPostgres(options: PostgresOptions): Promise<Postgres> {
  const { dir, socketDir, user, logPath } = options
  const owner = await ids(user)
  const dataDir = join(dir, 'data')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await mkdir(socketDir, { recursive: true, mode: 0o755 })
  chownSync(dir, owner.uid, owner.gid)
  chownSync(socketDir, owner.uid, owner.gid)

  const adminPassword = randomBytes(18).toString('hex')
  const pwfile = join(dir, 'pwfile')
  await writeFile(pwfile, `${adminPassword}\n`, { mode: 0o600 })
  chownSync(pwfile, owner.uid, owner.gid)
  try {
    await run(
      'setpriv',
      [
        '--reuid', user, '--regid', user, '--init-groups',
        join(POSTGRES_BIN, 'initdb'),
        '--pgdata', dataDir,
        '--username', user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
        '--no-instructions'
      ],
      { cwd: dir, timeout: 30_000 }
    )
  } catch (error) {
    const e = error as { stderr?: string; message: string }
    throw new Error(`initdb failed: ${e.stderr || e.message}`, { cause: error })
  } finally {
    await rm(pwfile, { force: true })
  }

  // The admin may come in over the socket without a password; service roles always need theirs.
  await writeFile(
    join(dataDir, 'pg_hba.conf'),
    [
      '# written by the dokku-stack sandbox harness',
      `local   all   ${user}   trust`,
      'local   all   all       scram-sha-256',
      'host    all   all       127.0.0.1/32   scram-sha-256',
      ''
    ].join('\n')
  )

  let lastLog = ''
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort()
    await appendFile(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        `# sandbox harness, attempt ${attempt}`,
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${socketDir.replace(/'/g, "''")}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 100',
        'shared_buffers = 32MB',
        'logging_collector = off',
        "log_destination = 'stderr'",
        "password_encryption = 'scram-sha-256'",
        ''
      ].join('\n')
    )
    const logOffset = existsSync(logPath) ? readFileSync(logPath).length : 0
    const logFd = openSync(logPath, 'a')
    let service: Service
    try {
      service = startService(join(POSTGRES_BIN, 'postgres'), ['-D', dataDir], { user, cwd: dir, env: options.env, stdio: ['ignore', logFd, logFd] })
    } finally {
      closeSync(logFd)
    }
    const state = await waitUntilReady(service, logPath, logOffset)
    if (state === 'ready') {
      const encodedSocket = encodeURIComponent(socketDir)
      return {
        host: '127.0.0.1',
        port,
        socketDir,
        dataDir,
        adminUser: user,
        adminPassword,
        adminUrl: `postgres://${user}:${adminPassword}@127.0.0.1:${port}/postgres`,
        adminSocketUrl: `postgresql://${user}@/postgres?host=${encodedSocket}&port=${port}`,
        pid: service.pid,
        // SIGQUIT is PostgreSQL's immediate shutdown: no checkpoint, the data is thrown away.
        stop: () => stopService(service, 'SIGQUIT', 5_000)
      }
    }
    await stopService(service, 'SIGQUIT', 2_000)
    lastLog = readFileSync(logPath, 'utf8').slice(logOffset)
    if (!/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(lastLog)) break
  }
  throw new Error(`PostgreSQL did not start (log ${logPath}):\n${lastLog}`)
}

async function waitUntilReady(service: Service, logPath: string, logOffset: number): Promise<'ready' | 'failed'> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (service.hasExited()) return 'failed'
    const log = readFileSync(logPath, 'utf8').slice(logOffset)
    if (log.includes('database system is ready to accept connections')) return 'ready'
    await sleep(20)
  }
  return 'failed'
}
