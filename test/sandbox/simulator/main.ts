// Entry point of the Dokku simulator. dokku-entry.sh execs this with dokku's argv (global
// flags included, unshifted). It parses the global flags like dokku's `parse_args`, shifts
// the leading ones like the dokku entry script, inserts `--app NAME` for core plugins, and
// dispatches to a lazily loaded plugin module so that each command starts quickly.
import { readFileSync } from 'node:fs'
import { recordArgv } from './core/argv-log.ts'
import { Ctx, Exit } from './core/ctx.ts'
import type { SandboxConfig } from './core/ctx.ts'
import type { Handler } from './core/types.ts'

/** command prefix → plugin module (relative to this file) and whether it is a core plugin */
const PLUGINS: Record<string, { module: string; core: boolean; requires?: string }> = {
  apps: { module: './plugins/apps.ts', core: true },
  config: { module: './plugins/config.ts', core: true },
  git: { module: './plugins/git.ts', core: true },
  ps: { module: './plugins/ps.ts', core: true },
  ports: { module: './plugins/network.ts', core: true },
  domains: { module: './plugins/domains.ts', core: true },
  proxy: { module: './plugins/network.ts', core: true },
  caddy: { module: './plugins/caddy.ts', core: true },
  nginx: { module: './plugins/scheduler.ts', core: true },
  scheduler: { module: './plugins/scheduler.ts', core: true },
  storage: { module: './plugins/storage.ts', core: true },
  network: { module: './plugins/network.ts', core: true },
  'docker-options': { module: './plugins/docker-options.ts', core: true },
  checks: { module: './plugins/checks.ts', core: true },
  resource: { module: './plugins/resource.ts', core: true },
  builder: { module: './plugins/checks.ts', core: true },
  plugin: { module: './plugins/plugin.ts', core: true },
  run: { module: './plugins/run.ts', core: true },
  enter: { module: './plugins/run.ts', core: true },
  logs: { module: './plugins/run.ts', core: true },
  builds: { module: './plugins/builds.ts', core: true },
  url: { module: './plugins/domains.ts', core: true },
  urls: { module: './plugins/domains.ts', core: true },
  postgres: { module: './plugins/postgres.ts', core: false, requires: 'postgres' },
  redis: { module: './plugins/redis.ts', core: false, requires: 'redis' }
}

const ALIASES: Record<string, string> = { apps: 'apps:list', config: 'config:show', builds: 'builds:list' }

async function main(): Promise<number> {
  process.umask(0)
  const root = process.env.DOKKU_SANDBOX_ROOT
  if (!root) {
    process.stderr.write(' !     DOKKU_SANDBOX_ROOT is not set\n')
    return 1
  }
  // Build directories go under the sandbox (os.tmpdir() reads TMPDIR on every call), so that
  // stop() removes those of a build cut short along with everything else. The entry script
  // unsets TMPDIR, as Dokku's does, before it gets here.
  process.env.TMPDIR = `${root}/tmp`
  const config = JSON.parse(readFileSync(`${root}/sandbox.json`, 'utf8')) as SandboxConfig
  const argv = process.argv.slice(2)
  recordArgv(root, argv)
  const ctx = new Ctx(root, config, argv)

  // the entry script's shift of leading global flags
  let args = [...argv]
  if ((args[0] ?? '').startsWith('--')) {
    const rest: string[] = []
    let i = 0
    for (; i < args.length; i++) {
      const a = args[i] as string
      if (a === '--version') {
        rest.push(a)
        continue
      }
      if (a === '--app') {
        i++
        continue
      }
      if (a.startsWith('--')) continue
      break
    }
    args = [...rest, ...args.slice(i)]
  }

  const first = args[0] ?? ''
  if (first === 'help' || first === '') {
    ctx.out('Usage: dokku [--quiet|--trace|--force] COMMAND <app> [command-specific-options]')
    return 0
  }
  if (first === 'version' || first === '-v' || first === '--version') {
    ctx.out(`dokku version ${config.dokkuVersion}`)
    return 0
  }

  let command = first
  if (command === 'git-receive-pack' || command === 'git-upload-pack' || command.startsWith('git-')) {
    if (command !== 'git-hook') {
      const git = (await import('./plugins/git.ts')) as { glob: (ctx: Ctx, cmd: string, args: string[]) => Promise<number> }
      return git.glob(ctx, command, args.slice(1))
    }
  }
  const prefix = command.split(':')[0] as string
  const plugin = PLUGINS[command === 'git-hook' ? 'git' : prefix]
  if (plugin && plugin.requires && !ctx.hasPlugin(plugin.requires)) return notACommand(ctx, args)
  if (!plugin) return notACommand(ctx, args)
  const mod = (await import(plugin.module)) as { commands: Record<string, Handler> }
  if (!command.includes(':') && ALIASES[command]) command = ALIASES[command] as string
  const handler = mod.commands[command]
  if (!handler) return notACommand(ctx, args)
  let rest = args.slice(1)
  if (plugin.core && ctx.appFlag !== undefined) rest = [ctx.appFlag, ...rest]
  const result = await handler(ctx, rest, command)
  return typeof result === 'number' ? result : 0
}

function notACommand(ctx: Ctx, args: string[]): number {
  ctx.warn(`\`${args.join(' ')}\` is not a dokku command.`)
  ctx.warn('See `dokku help` for a list of available commands.')
  return 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Exit) process.exit(error.code)
    process.stderr.write(` !     ${(error as Error)?.stack ?? String(error)}\n`)
    process.exit(1)
  }
)
