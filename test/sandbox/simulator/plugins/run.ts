// run, run:detached, enter, logs, logs:failed — an app's "container" is a local process with the app's env.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { appStateDir, listApps, loadApp, updateApp } from '../core/store.ts'
import { appEnv, containerLog, containerRunning, readContainer } from '../core/deploy.ts'
import { enterEnvironment } from '../core/seaweed.ts'

function execInApp(ctx: Ctx, app: string, command: string[], extraEnv: Record<string, string>, detached: boolean): Promise<number> {
  const state = loadApp(ctx, app)
  const cwd = join(appStateDir(ctx, app), 'release')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: existsSync(cwd) ? cwd : '/tmp',
    ...appEnv(ctx, state),
    ...extraEnv,
    DYNO: 'run.1'
  }
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command.join(' ')], {
      cwd: existsSync(cwd) ? cwd : undefined,
      env,
      stdio: detached ? 'ignore' : ['ignore', 'inherit', 'inherit'],
      detached
    })
    if (detached) {
      child.unref()
      resolve(0)
      return
    }
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 1)))
    child.on('error', () => resolve(127))
  })
}

async function run(ctx: Ctx, args: string[], detached: boolean): Promise<number> {
  const env: Record<string, string> = {}
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i] as string
    if (a === '-e' || a === '--env') {
      const kv = args[++i] ?? ''
      const eq = kv.indexOf('=')
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1)
      continue
    }
    if (a.startsWith('--env=')) {
      const kv = a.slice(6)
      const eq = kv.indexOf('=')
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1)
      continue
    }
    if (a === '--no-tty' || a === '--force-tty') continue
    if (a === '--ttl-seconds' || a === '--cron-id' || a === '--label') {
      const v = args[++i] ?? ''
      if (a === '--ttl-seconds' && !/^[1-9][0-9]*$/.test(v)) return ctx.fail('--ttl-seconds must be a positive integer')
      continue
    }
    break
  }
  const app = verifyApp(ctx, args[i])
  let command = args.slice(i + 1)
  const state = loadApp(ctx, app)
  if (!state.release) return ctx.fail(`App image (dokku/${app}:latest) not found`)
  const first = command[0] ?? ''
  const procfile = state.release.procfile
  if (first in procfile) {
    ctx.info1(`Found '${first}' in Procfile, running that command`)
    command = [procfile[first] as string, ...command.slice(1)]
  }
  if (command.length === 0) command = ['bash']
  if (detached) {
    const name = `${app}.run.${Math.floor(1000 + Math.random() * 9000)}`
    await execInApp(ctx, app, command, env, true)
    ctx.out(name)
    return 0
  }
  return execInApp(ctx, app, command, env, false)
}

/**
 * The `--container-id` / type loop shared by dokku's `enter` subcommand and the docker-local
 * `scheduler-enter` trigger (dokku v0.38.27 plugins/enter/subcommands/default and
 * plugins/scheduler-docker-local/scheduler-enter; identical in v0.37.5): `--container-id <id>` and
 * `--container-id=<id>` are taken, and the first other word becomes the container type, after which
 * the loop stops. So `--container-id <id> <command…>` takes the command's first word as the type.
 */
function parseEnterTarget(ctx: Ctx, args: string[]): { id?: string; type?: string; rest: string[] } {
  let id: string | undefined
  let type: string | undefined
  let i = 0
  while (i < args.length) {
    const a = args[i] as string
    if (a.startsWith('--container-id=')) {
      id = a.slice('--container-id='.length)
      i++
    } else if (a === '--container-id') {
      if (!args[i + 1]) {
        ctx.warn(`expected ${a} to have an argument`)
        break
      }
      id = args[i + 1]
      i += 2
    } else {
      type = a
      i++
      break
    }
  }
  return { id, type, rest: args.slice(i) }
}

const enter: Handler = async (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  // enter/subcommands/default: parse, drop one `--`, hand the type (which wins) or the id on.
  const parsed = parseEnterTarget(ctx, args.slice(1))
  let rest = parsed.rest[0] === '--' ? parsed.rest.slice(1) : parsed.rest
  const forwarded = parsed.type ? [parsed.type, '--', ...rest] : parsed.id ? ['--container-id', parsed.id, '--', ...rest] : ['--', ...rest]
  // scheduler-docker-local/scheduler-enter: the same loop again on what was handed on.
  const target = parseEnterTarget(ctx, forwarded)
  rest = target.rest
  const state = loadApp(ctx, app)
  const container = containerRunning(ctx, app) ? readContainer(ctx, app) : undefined
  // The simulated app runs one container per running process type (its web process).
  const running = container ? Object.keys(state.scale).filter((t) => (state.scale[t] ?? 0) > 0) : []
  let type = target.type
  if (target.id === undefined && (type === undefined || type === '' || type === '--')) {
    if (running.length > 1) {
      ctx.warn('No container type specified.')
      ctx.fail(`Available types for app (${app}): ${running.join(' ')}`)
    }
    type = running[0]
  }
  if (target.id === undefined) {
    if (!type) return ctx.fail('No containers found for app')
    const [base = '', index = '1'] = type.split('.')
    if (!container || !running.includes(base) || index !== '1') {
      ctx.warn(`No containers found for type '${type}'`)
      ctx.fail(`Available types for app (${app}): ${running.join(' ')}`)
    }
  } else {
    const ids = container ? [container.name] : []
    if (!ids.some((id) => id.startsWith(target.id as string))) {
      ctx.warn(`Invalid container id for app: ${target.id}`)
      ctx.fail(`Available ids for app (${app}): ${ids.join(' ')}`)
    }
  }
  if (rest[0] === '--') rest = rest.slice(1)
  // A stand-in that serves the container's own ports (SeaweedFS's master and volume) is reached through them.
  const inside = container ? enterEnvironment(ctx, container.name) : undefined
  return execInApp(ctx, app, rest.length > 0 ? rest : ['bash'], inside ?? {}, false)
}

const logs: Handler = (ctx, args) => {
  let num = 100
  let quiet = false
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '-n' || a === '--num') num = Number(args[++i] ?? '100')
    else if (a === '-q' || a === '--quiet') quiet = true
    else if (a === '-t' || a === '--tail') continue
    else if (a === '-p' || a === '--ps') i++
    else rest.push(a)
  }
  const app = verifyApp(ctx, rest[0])
  if (!loadApp(ctx, app).deployed) return ctx.fail(`App ${app} has not been deployed`)
  const c = readContainer(ctx, app)
  if (!c) return
  let text: string
  try {
    text = readFileSync(containerLog(ctx, app, c.name), 'utf8')
  } catch {
    return
  }
  const lines = text.split('\n').filter((l) => l !== '').slice(-num)
  for (const l of lines) ctx.out(quiet ? l : `${new Date().toISOString().replace('Z', '000000Z')} app[web.1]: ${l}`)
}

const logsFailed: Handler = (ctx, args) => {
  const apps = args[0] === '--all' ? listApps(ctx) : [verifyApp(ctx, args[0])]
  for (const app of apps) {
    ctx.info2Quiet(`${app} failed deploy logs`)
    const failed = loadApp(ctx, app).failedContainers
    const remaining: string[] = []
    for (const entry of failed) {
      const [name = ''] = entry.split(' ')
      const log = containerLog(ctx, app, name)
      if (!existsSync(log)) {
        ctx.warn(`App container ${name} no longer running`)
        continue
      }
      remaining.push(entry)
      ctx.stdout(readFileSync(log))
    }
    if (remaining.length !== failed.length) updateApp(ctx, app, (s) => (s.failedContainers = remaining))
    if (remaining.length === 0) ctx.warn('No failed containers found')
  }
}

export const commands: Record<string, Handler> = {
  run: (ctx, args) => run(ctx, args, false),
  'run:detached': (ctx, args) => run(ctx, args, true),
  enter,
  logs,
  'logs:failed': logsFailed
}
