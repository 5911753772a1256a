// builds:* (0.38+): list, info, output, report, cancel.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadGlobal, pidAlive, prop, setProp, updateApp, updateGlobal } from '../core/store.ts'
import { buildsDir, displayStatus, listBuilds, lockFile, readBuild, writeBuild } from '../core/deploy.ts'
import type { BuildRecord } from '../core/deploy.ts'
import { columnize, goJson, parseFlags } from '../core/format.ts'
import { runGoReport } from './apps.ts'

function duration(r: BuildRecord): string {
  const end = r.finished_at ? Date.parse(r.finished_at) : Date.now()
  const s = Math.max(0, Math.round((end - Date.parse(r.started_at)) / 1000))
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`
}

function toJson(ctx: Ctx, r: BuildRecord): Record<string, unknown> {
  return {
    id: r.id, app: r.app, kind: r.kind, pid: r.pid, started_at: r.started_at, finished_at: r.finished_at,
    status: r.status, source: r.source, exit_code: r.exit_code, display_status: displayStatus(r), duration: duration(r),
    log_path: join(buildsDir(ctx, r.app), `${r.id}.log`)
  }
}

const list: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'builds:list', args, { strings: ['format', 'kind', 'status'] })
  const kind = f.strings.get('kind')
  const status = f.strings.get('status')
  if (kind !== undefined && kind !== 'build' && kind !== 'deploy') return ctx.fail(`Invalid --kind value "${kind}" (allowed: build, deploy)`)
  if (status !== undefined && !['running', 'succeeded', 'failed', 'canceled', 'abandoned'].includes(status)) return ctx.fail(`Invalid --status value "${status}" (allowed: running, succeeded, failed, canceled, abandoned)`)
  const app = f.positional[0]
  let records: BuildRecord[]
  if (app !== undefined) records = listBuilds(ctx, verifyApp(ctx, app))
  else records = listApps(ctx).flatMap((a) => listBuilds(ctx, a)).filter((r) => displayStatus(r) === 'running')
  records = records.filter((r) => (kind === undefined || r.kind === kind) && (status === undefined || displayStatus(r) === status))
  records.sort((a, b) => Number(displayStatus(b) === 'running') - Number(displayStatus(a) === 'running'))
  if (f.strings.get('format') === 'json') {
    ctx.out(goJson(records.map((r) => toJson(ctx, r)), false))
    return
  }
  if (records.length === 0) {
    ctx.out(app !== undefined ? 'No builds recorded for this app' : 'No builds currently running')
    return
  }
  if (app !== undefined) {
    ctx.out(columnize([['Build ID', 'Kind', 'Status', 'PID', 'Source', 'Started', 'Duration'], ...records.map((r) => [r.id, r.kind, displayStatus(r), String(r.pid), r.source, r.started_at, duration(r)])]))
  } else {
    ctx.out(columnize([['App', 'Build ID', 'Kind', 'PID', 'Source', 'Started'], ...records.map((r) => [r.app, r.id, r.kind, String(r.pid), r.source, r.started_at])]))
  }
}

const info: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'builds:info', args, { strings: ['format'] })
  const app = verifyApp(ctx, f.positional[0])
  const id = f.positional[1] ?? ''
  const r = readBuild(ctx, app, id)
  if (!r) return ctx.fail(`No build record found for ${app}/${id}`)
  if (f.strings.get('format') === 'json') {
    ctx.out(goJson(toJson(ctx, r), false))
    return
  }
  const rows: string[][] = [['Build ID:', r.id], ['App:', r.app], ['Kind:', r.kind], ['Status:', displayStatus(r)], ['PID:', String(r.pid)], ['Source:', r.source], ['Started:', r.started_at]]
  if (r.finished_at) rows.push(['Finished:', r.finished_at])
  rows.push(['Duration:', duration(r)])
  if (r.exit_code !== undefined) rows.push(['Exit Code:', String(r.exit_code)])
  rows.push(['Log:', join(buildsDir(ctx, app), `${r.id}.log`)])
  ctx.out(columnize(rows))
}

function currentId(ctx: Ctx, app: string): string | undefined | null {
  const file = lockFile(ctx, app)
  if (!existsSync(file)) return undefined
  const id = readFileSync(file, 'utf8').trim()
  return id === '' ? null : id
}

const output: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  let id = args[1]
  if (id === undefined || id === 'current') {
    const cur = currentId(ctx, app)
    if (cur === undefined) {
      ctx.info1('App not currently deploying')
      return
    }
    if (cur === null || !readBuild(ctx, app, cur)) {
      ctx.info1('No matching app deploy found')
      return
    }
    id = cur
  }
  const log = join(buildsDir(ctx, app), `${id}.log`)
  if (!existsSync(log)) return ctx.fail(`log file missing and journalctl not available for build ${id}`)
  ctx.stdout(readFileSync(log))
}

const cancel: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const cur = currentId(ctx, app)
  if (cur === undefined) {
    ctx.info1('App not currently deploying')
    return
  }
  const r = cur === null ? undefined : readBuild(ctx, app, cur)
  if (!r) {
    ctx.info1('No matching app deploy found')
    return
  }
  if (r.status !== 'running') {
    ctx.info1(`Build ${r.id} is no longer running (status=${r.status}); leaving record untouched`)
    return
  }
  if (!pidAlive(r.pid)) {
    ctx.info1('Build was already terminated, marking failed')
    writeBuild(ctx, { ...r, status: 'failed', finished_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') })
    return
  }
  ctx.info1('Killing app deploy')
  try {
    process.kill(r.pid, 'SIGQUIT')
  } catch {
    // gone
  }
  writeBuild(ctx, { ...r, status: 'canceled', finished_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') })
  rmSync(lockFile(ctx, app), { force: true })
}

const report: Handler = (ctx, args) => {
  const global = loadGlobal(ctx)
  runGoReport(ctx, args, {
    plugin: 'builds',
    type: 'builds',
    emitLegacy: true,
    globalFlags: () => ({ '--builds-global-retention': prop(global, 'builds', 'retention') ?? '' }),
    appFlags: (app) => {
      const r = listBuilds(ctx, app)[0]
      return {
        '--build-id': r?.id ?? '',
        '--build-status': r ? displayStatus(r) : '',
        '--build-source': r?.source ?? '',
        '--build-kind': r?.kind ?? '',
        '--build-exit-code': r?.exit_code !== undefined ? String(r.exit_code) : '',
        '--build-started-at': r?.started_at ?? '',
        '--build-finished-at': r?.finished_at ?? '',
        '--builds-retention': prop(global, 'builds', 'retention') || '20'
      }
    }
  })
}

const set: Handler = (ctx, args) => {
  const [target = '', key = '', value = ''] = args
  if (key !== 'retention') return ctx.fail('Invalid property specified, valid properties include: retention')
  if (target !== '--global') verifyApp(ctx, target)
  ctx.info2Quiet(value === '' ? `Unsetting ${key}` : `Setting ${key} to ${value}`)
  if (target === '--global') updateGlobal(ctx, (g) => setProp(g, 'builds', key, value || undefined))
  else updateApp(ctx, target, (s) => setProp(s, 'builds', key, value || undefined))
}

const all: Record<string, Handler> = {
  'builds:list': list,
  'builds:info': info,
  'builds:output': output,
  'builds:cancel': cancel,
  'builds:report': report,
  'builds:set': set
}

export const commands: Record<string, Handler> = Object.fromEntries(
  Object.entries(all).map(([name, handler]) => [
    name,
    ((ctx, args, cmd) => {
      if (!ctx.atLeast('0.38.0')) {
        ctx.warn(`\`${[cmd, ...args].join(' ')}\` is not a dokku command.`)
        ctx.warn('See `dokku help` for a list of available commands.')
        return 1
      }
      return handler(ctx, args, cmd)
    }) as Handler
  ])
)
