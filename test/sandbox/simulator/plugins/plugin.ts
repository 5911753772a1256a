// plugin:* — list (any user), installed/install/uninstall (root only; refused by dokku-entry.sh otherwise).
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { readJson, writeFileShared } from '../core/store.ts'
import { goJson, parseFlags } from '../core/format.ts'

const CORE = ['00_dokku-standard', 'apps', 'builder', 'builds', 'caddy-vhosts', 'checks', 'config', 'docker-options', 'domains', 'git', 'logs', 'network', 'nginx-vhosts', 'plugin', 'ports', 'proxy', 'ps', 'resource', 'run', 'scheduler-docker-local', 'storage']
const COMMUNITY: Record<string, { version: string; description: string; url: string }> = {
  postgres: { version: '1.48.0', description: 'dokku postgres service plugin', url: 'https://github.com/dokku/dokku-postgres.git' },
  redis: { version: '1.43.0', description: 'dokku redis service plugin', url: 'https://github.com/dokku/dokku-redis.git' }
}

function installed(ctx: Ctx): string[] {
  return [...new Set([...ctx.config.plugins, ...ctx.installedPlugins()])].filter((p) => p in COMMUNITY).sort()
}

const list: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'plugin:list', args, ctx.atLeast('0.38.22') ? { strings: ['format'] } : {})
  const format = f.strings.get('format') ?? 'stdout'
  if (format !== 'stdout' && format !== 'json') return ctx.fail('Invalid output format specified, supported formats: json, stdout')
  const rows = [
    ...CORE.map((name) => ({ name, version: ctx.version, enabled: true, core: true, description: `dokku core ${name.replace(/^00_/, '')} plugin`, source_url: '', committish: '', branch: '' })),
    ...installed(ctx).map((name) => {
      const c = COMMUNITY[name] as { version: string; description: string; url: string }
      return { name, version: c.version, enabled: true, core: false, description: c.description, source_url: c.url, committish: c.version, branch: '' }
    })
  ].sort((a, b) => (a.name < b.name ? -1 : 1))
  if (format === 'json') {
    ctx.out(goJson(rows, false))
    return
  }
  for (const r of rows) ctx.out(`  ${r.name.padEnd(20)} ${r.version.padEnd(5)} ${(r.enabled ? 'enabled' : 'disabled').padEnd(10)} ${r.description}`)
}

const isInstalled: Handler = (ctx, args) => {
  const name = args[0] ?? ''
  return CORE.includes(name) || installed(ctx).includes(name) ? 0 : 1
}

const install: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'plugin:install', args, { strings: ['committish', 'name'], bools: ['skip-install-trigger', 'core'] })
  const url = f.positional[0]
  if (url === undefined) {
    ctx.info1('Priming bash-completion cache')
    return 0
  }
  const name = f.strings.get('name') ?? (url.split('/').pop() ?? '').replace(/\.git$/, '').replace(/^dokku-/, '')
  if (installed(ctx).includes(name)) {
    ctx.out(`Plugin '${name}' is already installed.`)
    ctx.fail('Plugin already enabled')
  }
  ctx.info1(`Cloning plugin repo ${url} to /var/lib/dokku/plugins/available/${name}`)
  if (!(name in COMMUNITY)) {
    ctx.err(`fatal: repository '${url}' not found`)
    return 128
  }
  const file = ctx.path('state', 'plugins.json')
  writeFileShared(file, JSON.stringify([...readJson<string[]>(file, []), name]))
  ctx.info1(`Plugin ${name} enabled`)
  ctx.info1('Priming bash-completion cache')
  return 0
}

const uninstall: Handler = (ctx, args) => {
  const name = args[0] ?? ''
  const file = ctx.path('state', 'plugins.json')
  writeFileShared(file, JSON.stringify(readJson<string[]>(file, []).filter((p) => p !== name)))
  ctx.info1(`Plugin ${name} uninstalled`)
}

export const commands: Record<string, Handler> = {
  'plugin:list': list,
  'plugin:installed': isInstalled,
  'plugin:install': install,
  'plugin:uninstall': uninstall
}
