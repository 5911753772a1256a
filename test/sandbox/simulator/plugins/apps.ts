// apps:* — create, exists, list, destroy, report, clone, rename, lock/unlock/locked, set.
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { APP_NAME_RE, INVALID_APP_NAME, verifyApp } from '../core/names.ts'
import {
  appDir, appExists, appStateDir, emptyApp, listApps, loadApp, loadGlobal, mkdirShared, prop, saveApp, setProp, updateApp, updateGlobal, withMutex
} from '../core/store.ts'
import { defaultVhosts, computedDeployBranch } from '../core/appinfo.ts'
import { goJson, goReport, parseFlags, parseReportArgs } from '../core/format.ts'
import { gitReceiveApp, lockFile, readContainer, startBuildCapture, stopContainer, buildsDir, containerFile } from '../core/deploy.ts'
import { gitOk } from '../core/git.ts'
import { serviceUnlinkAllOnDestroy, serviceCloneLinks, serviceRenameLinks } from './services-hooks.ts'

export function writePreReceiveHook(ctx: Ctx, app: string): void {
  const dir = appDir(ctx, app)
  if (!existsSync(join(dir, 'refs'))) gitOk(['init', '-q', '--bare', dir])
  const hook = join(dir, 'hooks', 'pre-receive')
  writeFileSync(hook, `#!/usr/bin/env bash\nset -e\nset -o pipefail\n\ncat | DOKKU_ROOT="${ctx.path('home')}" "${ctx.path('bin', 'dokku')}" git-hook "${app}"\n`)
  chmodSync(hook, 0o777)
  makeShared(dir)
}

/** Files written as one user must stay writable by the other (root / dokku). */
export function makeShared(dir: string): void {
  try {
    chmodSync(dir, 0o777)
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name)
      if (entry.isDirectory()) makeShared(p)
      else chmodSync(p, 0o777)
    }
  } catch {
    // best effort
  }
}

/** apps:create side effects (also the git plugin's app-maybe-create). */
export function createApp(ctx: Ctx, app: string): void {
  withMutex(ctx, () => {
    ctx.info1Quiet(`Creating ${app}...`)
    mkdirShared(appDir(ctx, app))
    mkdirShared(appStateDir(ctx, app))
    const state = emptyApp()
    const global = loadGlobal(ctx)
    const vhosts = defaultVhosts(app, global)
    if (vhosts.length > 0) {
      ctx.info1Quiet('Creating new app virtual host file...')
      state.vhosts = vhosts
    } else {
      ctx.info1Quiet('Global server virtual host not set, disabling app vhost...')
      state.env.NO_VHOST = '1'
    }
    saveApp(ctx, app, state)
    writePreReceiveHook(ctx, app)
  })
}

function validateNewName(ctx: Ctx, app: string): void {
  if (!APP_NAME_RE.test(app)) return ctx.fail(INVALID_APP_NAME)
}

const create: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'apps:create', args, {})
  const app = f.positional[0] ?? ''
  if (app === '') return ctx.fail('Please specify an app to run the command on')
  validateNewName(ctx, app)
  if (appExists(ctx, app)) return ctx.fail('Name is already taken')
  createApp(ctx, app)
}

const exists: Handler = (ctx, args) => {
  verifyApp(ctx, args[0])
}

const list: Handler = (ctx, args) => {
  const spec = ctx.atLeast('0.38.21') ? { strings: ['format'] } : {}
  const f = parseFlags(ctx, 'apps:list', args, spec)
  const format = f.strings.get('format') ?? 'stdout'
  if (format !== 'stdout' && format !== 'json') return ctx.fail(`Invalid format specified, supported formats: json, stdout`)
  const apps = listApps(ctx)
  if (format === 'json') {
    ctx.out(goJson(apps))
    return
  }
  if (apps.length === 0) {
    ctx.warn("You haven't deployed any applications yet")
    return
  }
  ctx.info2Quiet('My Apps')
  for (const app of apps) ctx.out(app)
}

/** AskForDestructiveConfirmation (Go): EOF on stdin → " !     EOF", exit 1. */
export function askConfirmation(ctx: Ctx, noun: string, name: string): void {
  ctx.warn('WARNING: Potentially Destructive Action')
  ctx.warn(`This command will destroy ${noun} ${name}.`)
  ctx.warn(`To proceed, type "${name}"`)
  ctx.stdout('> ')
  const answer = readStdinLine()
  if (answer === undefined) return ctx.fail('EOF')
  if (answer !== name) return ctx.fail(`Confirmation did not match ${name}. Aborted.`)
}

export function readStdinLine(): string | undefined {
  const buf = Buffer.alloc(1)
  let line = ''
  let got = false
  const { readSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs')
  for (;;) {
    let n: number
    try {
      n = readSync(0, buf, 0, 1, null)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') continue
      if (code === 'EOF') break
      break
    }
    if (n === 0) break
    got = true
    const ch = buf.toString('utf8', 0, 1)
    if (ch === '\n') return line
    line += ch
  }
  return got && line.length > 0 ? line : undefined
}

export function destroyApp(ctx: Ctx, app: string): void {
  ctx.info1(`Destroying ${app} (including all add-ons)`)
  serviceUnlinkAllOnDestroy(ctx, app)
  stopContainer(ctx, readContainer(ctx, app))
  ctx.info1('Cleaning up...')
  ctx.info1('Retiring old containers and images')
  withMutex(ctx, () => {
    rmSync(appDir(ctx, app), { recursive: true, force: true })
    rmSync(appStateDir(ctx, app), { recursive: true, force: true })
    rmSync(buildsDir(ctx, app), { recursive: true, force: true })
    rmSync(ctx.path('state', 'ports', app), { force: true })
  })
}

const destroy: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'apps:destroy', args, { bools: ['force'] })
  const app = verifyApp(ctx, f.positional[0])
  if (!ctx.force && !f.bools.has('force') && !args.includes('--force')) askConfirmation(ctx, 'app', app)
  destroyApp(ctx, app)
}

function appReportFlags(ctx: Ctx, app: string): Record<string, string> {
  const global = loadGlobal(ctx)
  const state = loadApp(ctx, app)
  return {
    '--app-created-at': String(state.createdAt),
    '--app-deploy-source': prop(state, 'apps', 'deploy-source') ?? '',
    '--app-deploy-source-metadata': prop(state, 'apps', 'deploy-source-metadata') ?? '',
    '--app-dir': appDir(ctx, app),
    '--app-global-disable-autocreation': prop(global, 'apps', 'disable-autocreation') ?? '',
    '--app-locked': String(existsSync(lockFile(ctx, app)))
  }
}

/** The shared shape of Go reports: no app → every app; --global → global flags. */
export function runGoReport(
  ctx: Ctx,
  args: string[],
  opts: { plugin: string; type: string; emitLegacy: boolean; appFlags: (app: string) => Record<string, string>; globalFlags: () => Record<string, string> }
): void {
  const r = parseReportArgs(ctx, opts.plugin, args, { goFormat: true, globalFlag: ctx.atLeast('0.38.0') })
  const render = (name: string, flags: Record<string, string>): void =>
    goReport(ctx, {
      type: opts.type,
      name,
      flags,
      infoFlag: r.infoFlag,
      format: r.format,
      trimPrefix: ctx.atLeast('0.38.8'),
      emitLegacy: opts.emitLegacy,
      ucFirst: opts.plugin !== 'resource'
    })
  if (r.global) {
    render('--global', opts.globalFlags())
    return
  }
  if (r.app === '') {
    const apps = listApps(ctx)
    if (apps.length === 0) {
      ctx.warn("You haven't deployed any applications yet")
      return
    }
    for (const app of apps) render(app, opts.appFlags(app))
    return
  }
  const app = verifyApp(ctx, r.app)
  render(app, opts.appFlags(app))
}

const report: Handler = (ctx, args) => {
  runGoReport(ctx, args, {
    plugin: 'apps',
    type: 'app',
    emitLegacy: true,
    appFlags: (app) => appReportFlags(ctx, app),
    globalFlags: () => ({ '--app-global-disable-autocreation': prop(loadGlobal(ctx), 'apps', 'disable-autocreation') ?? '' })
  })
}

const lock: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  mkdirShared(appStateDir(ctx, app))
  writeFileSync(lockFile(ctx, app), '', { mode: 0o666 })
  ctx.info1('Deploy lock created')
}

const locked: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  if (existsSync(lockFile(ctx, app))) {
    if (!ctx.quiet) ctx.out('Deploy lock exists')
    return
  }
  ctx.fail('Deploy lock does not exist')
}

const unlock: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const file = lockFile(ctx, app)
  if (existsSync(file)) {
    ctx.warn('A deploy may be in progress.')
    ctx.warn('Removing the app lock will not stop in progress deploys.')
  }
  try {
    rmSync(file)
  } catch {
    ctx.fail('Unable to remove deploy lock')
  }
  ctx.info1('Deploy lock removed')
}

const APPS_PROPS = ['deploy-source', 'deploy-source-metadata', 'disable-autocreation']

const set: Handler = (ctx, args) => {
  const [target = '', key = '', value] = args
  if (target !== '--global' && key === 'disable-autocreation') return ctx.fail('Property can only be specified globally')
  if (target === '--global' && key !== 'disable-autocreation' && key !== '') return ctx.fail('Property cannot be specified globally')
  if (key === '') return ctx.fail('No property specified')
  if (!APPS_PROPS.includes(key)) return ctx.fail(`Invalid property specified, valid properties include: ${APPS_PROPS.join(', ')}`)
  if (target !== '--global') verifyApp(ctx, target)
  if (value === undefined || value === '') ctx.info2Quiet(`Unsetting ${key}`)
  else ctx.info2Quiet(`Setting ${key} to ${value}`)
  const v = value === '' ? undefined : value
  if (target === '--global') updateGlobal(ctx, (g) => setProp(g, 'apps', key, v))
  else updateApp(ctx, target, (s) => setProp(s, 'apps', key, v))
}

// ---- clone / rename --------------------------------------------------------------------------

function copyRepo(ctx: Ctx, from: string, to: string): void {
  cpSync(appDir(ctx, from), appDir(ctx, to), { recursive: true, force: true })
  for (const f of ['VHOST', 'URLS', 'cache', '.cache']) rmSync(join(appDir(ctx, to), f), { recursive: true, force: true })
  writePreReceiveHook(ctx, to)
}

function checkPair(ctx: Ctx, oldApp: string | undefined, newApp: string | undefined): [string, string] {
  if (!oldApp) return ctx.fail('Please specify an app to run the command on')
  if (!newApp) return ctx.fail('Please specify an new app name')
  verifyApp(ctx, oldApp)
  validateNewName(ctx, newApp)
  return [oldApp, newApp]
}

function hasCode(ctx: Ctx, app: string): boolean {
  const branch = computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))
  return existsSync(join(appDir(ctx, app), 'refs', 'heads', branch))
}

async function rebuildAfterMove(ctx: Ctx, app: string): Promise<number> {
  startBuildCapture(ctx, app, 'git-hook')
  return gitReceiveApp(ctx, app, undefined)
}

const clone: Handler = async (ctx, args) => {
  const f = parseFlags(ctx, 'apps:clone', args, { bools: ['skip-deploy', 'ignore-existing'] })
  const [oldApp, newApp] = checkPair(ctx, f.positional[0], f.positional[1])
  if (appExists(ctx, newApp)) {
    if (f.bools.has('ignore-existing')) {
      ctx.warn('Name is already taken')
      return 0
    }
    ctx.fail('Name is already taken')
  }
  ctx.info1Quiet(`Cloning ${oldApp} to ${newApp}`)
  createApp(ctx, newApp)
  copyRepo(ctx, oldApp, newApp)
  withMutex(ctx, () => {
    const source = loadApp(ctx, oldApp)
    const target = loadApp(ctx, newApp)
    const copy: typeof source = JSON.parse(JSON.stringify(source)) as typeof source
    copy.vhosts = target.vhosts
    copy.env = { ...source.env }
    if (target.env.NO_VHOST === '1') copy.env.NO_VHOST = '1'
    delete copy.props.checks
    delete copy.props.caddy
    copy.caddyLabels = {}
    copy.failedContainers = []
    saveApp(ctx, newApp, copy)
    if (existsSync(lockFile(ctx, oldApp))) writeFileSync(lockFile(ctx, newApp), readFileSync(lockFile(ctx, oldApp)), { mode: 0o666 })
    // the common clone hook deletes the *source's* cached deployed flag (docs/dokku-contract.md#apps-clone)
    source.deployed = source.deployed && existsSync(containerFile(ctx, oldApp))
    saveApp(ctx, oldApp, source)
  })
  serviceCloneLinks(ctx, oldApp, newApp)
  if (f.bools.has('skip-deploy') || !hasCode(ctx, newApp)) return 0
  return rebuildAfterMove(ctx, newApp)
}

const rename: Handler = async (ctx, args) => {
  const f = parseFlags(ctx, 'apps:rename', args, { bools: ['skip-deploy'] })
  const [oldApp, newApp] = checkPair(ctx, f.positional[0], f.positional[1])
  if (appExists(ctx, newApp)) return ctx.fail('Name is already taken')
  ctx.info1Quiet(`Renaming ${oldApp} to ${newApp}`)
  createApp(ctx, newApp)
  copyRepo(ctx, oldApp, newApp)
  const globalVhosts = loadGlobal(ctx).vhosts
  withMutex(ctx, () => {
    const source = loadApp(ctx, oldApp)
    const copy: typeof source = JSON.parse(JSON.stringify(source)) as typeof source
    copy.vhosts = source.vhosts === null ? loadApp(ctx, newApp).vhosts : source.vhosts.map((v) => {
      for (const g of globalVhosts) if (v === `${oldApp}.${g}`) return `${newApp}.${g}`
      return v
    })
    delete copy.props.checks
    delete copy.props.caddy
    copy.caddyLabels = {}
    copy.deployed = false
    copy.running = false
    saveApp(ctx, newApp, copy)
  })
  const builds = buildsDir(ctx, oldApp)
  if (existsSync(builds)) cpSync(builds, buildsDir(ctx, newApp), { recursive: true })
  serviceRenameLinks(ctx, oldApp, newApp)
  destroyApp(ctx, oldApp)
  if (f.bools.has('skip-deploy') || !hasCode(ctx, newApp)) return 0
  return rebuildAfterMove(ctx, newApp)
}

export const commands: Record<string, Handler> = {
  'apps:create': create,
  'apps:exists': exists,
  'apps:list': list,
  'apps:destroy': destroy,
  'apps:report': report,
  'apps:lock': lock,
  'apps:locked': locked,
  'apps:unlock': unlock,
  'apps:set': set,
  'apps:clone': clone,
  'apps:rename': rename
}

