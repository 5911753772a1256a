// redis:* (dokku-redis 1.43.0) backed by one real redis-server per service, with its own
// port, data dir and requirepass; export is a real RDB (BGSAVE + LASTSAVE polling).
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, createReadStream, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { mkdirShared, writeFileShared } from '../core/store.ts'
import { freePort, pidAlive, readFile, serviceCommands, serviceRoot, sleepMs, spawnPassthrough } from './services.ts'
import type { ServicePluginIo } from './services.ts'

function runFile(ctx: Ctx, svc: string): string {
  return ctx.path('run', `redis-${svc}.pid`)
}

function conn(ctx: Ctx, svc: string): { port: string; password: string; root: string } {
  const root = serviceRoot(ctx, redis, svc)
  return { port: readFile(join(root, 'REDIS_PORT')), password: readFile(join(root, 'PASSWORD')), root }
}

function cli(ctx: Ctx, svc: string, command: string, stderr: 'inherit' | 'ignore'): string {
  const c = conn(ctx, svc)
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', c.port, '-a', c.password], { input: `${command}\n`, encoding: 'utf8', stdio: ['pipe', 'pipe', stderr], timeout: 10_000 })
  return (r.stdout ?? '').trim()
}

async function launch(ctx: Ctx, svc: string): Promise<boolean> {
  const c = conn(ctx, svc)
  mkdirShared(ctx.path('run'))
  const log = openSync(join(c.root, 'redis.log'), 'a', 0o666)
  const child = spawn('redis-server', [join(c.root, 'config', 'redis.conf'), '--port', c.port, '--bind', '127.0.0.1', '--dir', join(c.root, 'data'), '--dbfilename', 'dump.rdb', '--daemonize', 'no', '--save', '', '--appendonly', 'no'], {
    detached: true,
    stdio: ['ignore', log, log]
  })
  closeSync(log)
  child.unref()
  let exited = false
  child.on('exit', () => (exited = true))
  writeFileShared(runFile(ctx, svc), String(child.pid))
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !exited) {
    if (cli(ctx, svc, 'PING', 'ignore') === 'PONG') return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

function kill(ctx: Ctx, svc: string): void {
  const pid = Number(readFile(runFile(ctx, svc)))
  if (pid > 0 && pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // gone
    }
    const deadline = Date.now() + 10_000
    while (pidAlive(pid) && Date.now() < deadline) sleepMs(20)
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL')
  }
  rmSync(runFile(ctx, svc), { force: true })
}

const redis: ServicePluginIo = {
  name: 'redis',
  service: 'Redis',
  variable: 'REDIS',
  alias: 'REDIS',
  scheme: 'redis',
  port: 6379,
  image: 'redis',
  imageVersion: '8.8.0',
  configSuffix: 'config',
  passwordBytes: 32,
  createSteps: [],
  url: (svc, password, _db, scheme) => `${scheme}://:${password}@dokku-redis-${svc.replace(/[._]/g, '-')}:6379`,
  async createReal(ctx, svc, password) {
    const root = serviceRoot(ctx, redis, svc)
    mkdirShared(join(root, 'config'))
    mkdirShared(join(root, 'data'))
    writeFileSync(join(root, 'config', 'redis.conf'), `requirepass ${password}\n`, { mode: 0o640 })
    writeFileSync(join(root, 'REDIS_PORT'), `${await freePort()}\n`, { mode: 0o666 })
    if (!(await launch(ctx, svc))) throw new Error(readFile(join(root, 'redis.log')))
    return `redis://:${password}@127.0.0.1:${conn(ctx, svc).port}`
  },
  destroyReal(ctx, svc) {
    kill(ctx, svc)
  },
  async startReal(ctx, svc) {
    return launch(ctx, svc)
  },
  stopReal(ctx, svc) {
    kill(ctx, svc)
  },
  async exportCmd(ctx, svc) {
    return exportTo(ctx, svc, 1)
  },
  exportCmdTo(ctx, svc, fd) {
    return exportTo(ctx, svc, fd)
  },
  async importCmd(ctx, svc) {
    const c = conn(ctx, svc)
    kill(ctx, svc)
    const dump = join(c.root, 'data', 'dump.rdb')
    rmSync(dump, { force: true })
    writeFileSync(dump, readFileSync(0), { mode: 0o666 })
    writeFileSync(join(c.root, 'ID'), `${Buffer.from(String(Date.now() * Math.random())).toString('hex').padEnd(64, '0').slice(0, 64)}\n`, { mode: 0o666 })
    const ok = await launch(ctx, svc)
    return ok ? 0 : 1
  },
  connectCmd(ctx, svc) {
    const c = conn(ctx, svc)
    return spawnPassthrough('redis-cli', ['-h', '127.0.0.1', '-p', c.port, '-a', c.password], process.env, 'inherit')
  },
  async copyData(ctx, from, to) {
    const src = conn(ctx, from)
    cli(ctx, from, 'SAVE', 'ignore')
    const dst = conn(ctx, to)
    kill(ctx, to)
    writeFileSync(join(dst.root, 'data', 'dump.rdb'), readFileSync(join(src.root, 'data', 'dump.rdb')))
    await launch(ctx, to)
  },
  logs: (ctx, svc) => readFile(join(serviceRoot(ctx, redis, svc), 'redis.log'))
}

/** LASTSAVE, BGSAVE, LASTSAVE, then poll every 5 s until it changes (bounded), then cat dump.rdb */
async function exportTo(ctx: Ctx, svc: string, fd: number): Promise<number> {
  const c = conn(ctx, svc)
  if (!existsSync(runFile(ctx, svc)) || cli(ctx, svc, 'PING', 'ignore') !== 'PONG') {
    ctx.err(`Error response from daemon: container dokku.redis.${svc} is not running`)
    return 1
  }
  const first = cli(ctx, svc, 'LASTSAVE', 'inherit')
  cli(ctx, svc, 'BGSAVE', 'ignore')
  let second = cli(ctx, svc, 'LASTSAVE', 'inherit')
  for (let i = 0; first === second && i < 24; i++) {
    second = cli(ctx, svc, 'LASTSAVE', 'inherit')
    sleepMs(5000)
  }
  if (first === second) return 1
  return new Promise((resolve) => {
    const stream = createReadStream(join(c.root, 'data', 'dump.rdb'))
    stream.on('data', (chunk) => {
      if (fd === 1) ctx.stdout(chunk as Buffer)
      else writeFileSync(fd, chunk as Buffer)
    })
    stream.on('end', () => resolve(0))
    stream.on('error', () => resolve(1))
  })
}

export const commands: Record<string, Handler> = serviceCommands(redis)
