// storage:* — legacy host:container mounts, ensure-directory, and the 0.38 named entries.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fstatSync } from 'node:fs'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadApp, loadGlobal, mkdirShared, updateApp, updateGlobal } from '../core/store.ts'
import { goJson, parseFlags, pflagUnknownFlag } from '../core/format.ts'
import { runGoReport } from './apps.ts'

const STORAGE_ROOT = '/var/lib/dokku/data/storage'
const NAME_RE = /^[A-Za-z0-9_-]+$/

function chownId(ctx: Ctx, value: string): string | undefined {
  switch (value) {
    case 'herokuish':
      return '32767'
    case 'heroku':
      return '1000'
    case 'packeto':
      ctx.verbose('Detected misspelled chown value packeto, using paketo')
      return '2000'
    case 'paketo':
      return '2000'
    case 'root':
      return '0'
    case 'false':
      return undefined
    default:
      if (/^[0-9]+$/.test(value) && Number(value) <= 65535) return value
      return ctx.fail('Unsupported chown permissions')
  }
}

const ensureDirectory: Handler = (ctx, args) => {
  let chown = 'herokuish'
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--chown') chown = args[++i] ?? ''
    else rest.push(args[i] as string)
  }
  const name = rest[0] ?? ''
  if (name === '') return ctx.fail('Please specify a directory to create')
  if (!NAME_RE.test(name)) return ctx.fail('Directory can only contain the following set of characters: [A-Za-z0-9_-]')
  if (ctx.atLeast('0.38.7')) ctx.warn("Deprecated: please use 'storage:create' instead of 'storage:ensure-directory'")
  const id = chownId(ctx, chown)
  ctx.info1(`Ensuring ${STORAGE_ROOT}/${name} exists`)
  mkdirShared(ctx.path('storage', name))
  if (id !== undefined) ctx.verboseQuiet(`Setting directory ownership to ${id}:${id}`)
  ctx.verboseQuiet('Directory ready for mounting')
}

function legacyEntryName(mount: string): string {
  return `legacy-${createHash('sha1').update(mount).digest('hex').slice(0, 12)}`
}

function validMount(mount: string): boolean {
  const parts = mount.split(':')
  return parts.length >= 2 && parts.length <= 3 && (parts[0] ?? '') !== '' && (parts[1] ?? '').startsWith('/')
}

const mount: Handler = (ctx, args) => {
  const named = ctx.atLeast('0.38.0') && args.length >= 2 && !(args[1] ?? '').includes(':') && !(args[1] ?? '').startsWith('-')
  if (!named) {
    const app = verifyApp(ctx, args[0])
    const m = args[1] ?? ''
    if (!validMount(m)) return ctx.fail('Storage path must be two valid paths divided by colon.')
    if (loadApp(ctx, app).storage.includes(m)) return ctx.fail('Mount path already exists.')
    updateApp(ctx, app, (s) => s.storage.push(m))
    return
  }
  const f = parseFlags(ctx, 'storage:mount', args, {
    strings: ['container-dir', 'phase', 'process-type', 'volume-subpath', 'volume-options', 'volume-chown'],
    bools: ['volume-readonly']
  })
  const app = verifyApp(ctx, f.positional[0])
  const entry = f.positional[1] ?? ''
  if (!loadGlobal(ctx).storageEntries[entry]) return ctx.fail(`storage entry "${entry}" does not exist; create it first with \`dokku storage:create\``)
  const dir = f.strings.get('container-dir') ?? ''
  if (dir === '') return ctx.fail('--container-dir is required')
  const existing = loadApp(ctx, app).attachments.find((a) => a.entry === entry && a.containerDir === dir)
  updateApp(ctx, app, (s) => {
    s.attachments = s.attachments.filter((a) => !(a.entry === entry && a.containerDir === dir))
    s.attachments.push({
      entry,
      containerDir: dir,
      phases: f.strings.get('phase'),
      processType: f.strings.get('process-type'),
      subpath: f.strings.get('volume-subpath'),
      readonly: f.bools.has('volume-readonly') || undefined,
      volumeOptions: f.strings.get('volume-options'),
      chown: f.strings.get('volume-chown')
    })
  })
  if (existing) ctx.info1(`Storage entry ${entry} mount at ${dir} on ${app} updated`)
  else ctx.info1(`Storage entry ${entry} mounted at ${dir} on ${app}`)
}

const unmount: Handler = (ctx, args) => {
  const named = ctx.atLeast('0.38.0') && args.length >= 2 && !(args[1] ?? '').includes(':')
  if (!named) {
    const app = verifyApp(ctx, args[0])
    const m = args[1] ?? ''
    if (!validMount(m)) return ctx.fail('Storage path must be two valid paths divided by colon.')
    if (!loadApp(ctx, app).storage.includes(m)) return ctx.fail('Mount path does not exist.')
    updateApp(ctx, app, (s) => (s.storage = s.storage.filter((x) => x !== m)))
    return
  }
  const f = parseFlags(ctx, 'storage:unmount', args, { strings: ['container-dir', 'phase', 'process-type'] })
  const app = verifyApp(ctx, f.positional[0])
  const entry = f.positional[1] ?? ''
  const dir = f.strings.get('container-dir')
  const before = loadApp(ctx, app).attachments
  const after = before.filter((a) => !(a.entry === entry && (dir === undefined || a.containerDir === dir)))
  if (after.length === before.length) return ctx.fail(`Storage entry ${entry} is not mounted on ${app}`)
  updateApp(ctx, app, (s) => (s.attachments = after))
  ctx.info1(`Storage entry ${entry} unmounted from ${app}`)
}

function mountRows(ctx: Ctx, app: string): Array<{ entry: string; host: string; container: string; readonly?: boolean; options?: string }> {
  const s = loadApp(ctx, app)
  const global = loadGlobal(ctx)
  const rows = s.storage.map((m) => {
    const [host = '', container = '', opts] = m.split(':')
    return { entry: legacyEntryName(m), host, container, readonly: opts === 'ro' ? true : undefined, options: opts && opts !== 'ro' ? opts : undefined }
  })
  for (const a of s.attachments) {
    const e = global.storageEntries[a.entry]
    rows.push({ entry: a.entry, host: e?.path ?? '', container: a.containerDir, readonly: a.readonly, options: a.volumeOptions })
  }
  return rows
}

const list: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'storage:list', args, ctx.atLeast('0.38.0') ? { strings: ['format'] } : { strings: ['format'] })
  const app = verifyApp(ctx, f.positional[0])
  const format = f.strings.get('format')
  if (format !== undefined && format !== 'text' && format !== 'json') return ctx.fail('Invalid --format value specified')
  const rows = mountRows(ctx, app)
  if (format === 'json') {
    ctx.out(goJson(rows.map((r) => ({ entry_name: r.entry, host_path: r.host, container_path: r.container, readonly: r.readonly, volume_options: r.options })), false))
    return
  }
  const legacyNoHeader = !ctx.atLeast('0.38.0') && format === undefined
  if (!legacyNoHeader) ctx.info1Quiet(`${app} volume bind-mounts:`)
  for (const r of rows) {
    const line = `${r.host}:${r.container}${r.readonly ? ':ro' : ''}`
    if (ctx.quiet || legacyNoHeader) ctx.out(line)
    else ctx.verbose(line)
  }
}

const report: Handler = (ctx, args) => {
  runGoReport(ctx, args, {
    plugin: 'storage',
    type: 'storage',
    emitLegacy: true,
    globalFlags: () => ({}),
    appFlags: (app) => {
      const s = loadApp(ctx, app)
      const global = loadGlobal(ctx)
      const vols = s.storage.map((m) => `-v ${m}`)
      for (const a of s.attachments) {
        const phases = (a.phases ?? 'deploy,run').split(',')
        void phases
        vols.push(`-v ${global.storageEntries[a.entry]?.path ?? a.entry}:${a.containerDir}${a.readonly ? ':ro' : ''}`)
      }
      const flags: Record<string, string> = {
        '--storage-build-mounts': '',
        '--storage-deploy-mounts': vols.join(' '),
        '--storage-run-mounts': vols.join(' ')
      }
      if (ctx.atLeast('0.38.27')) {
        s.attachments.forEach((a, i) => {
          flags[`--storage-attachment.${i}.entry`] = a.entry
          flags[`--storage-attachment.${i}.container-dir`] = a.containerDir
        })
      }
      return flags
    }
  })
}

const create: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'storage:create', args, { strings: ['chown', 'mode', 'reclaim-policy', 'scheduler'] })
  const name = f.positional[0] ?? ''
  if (name === '') return ctx.fail('Please specify a storage entry name')
  if (!NAME_RE.test(name)) return ctx.fail('Storage entry name can only contain the following set of characters: [A-Za-z0-9_-]')
  if (loadGlobal(ctx).storageEntries[name]) {
    ctx.info1(`Storage entry ${name} already exists, leaving in place`)
    return
  }
  const chown = f.strings.get('chown') ?? 'herokuish'
  chownId(ctx, chown)
  const path = f.positional[1] ?? `${STORAGE_ROOT}/${name}`
  mkdirShared(ctx.path('storage', name))
  updateGlobal(ctx, (g) => (g.storageEntries[name] = { name, path, chown, mode: f.strings.get('mode'), reclaimPolicy: f.strings.get('reclaim-policy') ?? 'Retain' }))
  ctx.info1(`Storage entry ${name} created`)
}

const destroy: Handler = (ctx, args) => {
  // The flag set grows with the version (dokku plugins/storage/src/subcommands/subcommands.go):
  // none at v0.38.0 (pflag: "unknown flag: --force", exit 2), `--force` from v0.38.10,
  // `--destroy-host-dir` from v0.38.27.
  const bools = [...(ctx.atLeast('0.38.10') ? ['force'] : []), ...(ctx.atLeast('0.38.27') ? ['destroy-host-dir'] : [])]
  if (!ctx.atLeast('0.38.10') && args.includes('--force')) pflagUnknownFlag(ctx, 'storage:destroy', '--force')
  const f = parseFlags(ctx, 'storage:destroy', args, { bools })
  const name = f.positional[0] ?? ''
  if (!loadGlobal(ctx).storageEntries[name]) return ctx.fail(`storage entry "${name}" does not exist`)
  const users = listApps(ctx).filter((app) => loadApp(ctx, app).attachments.some((a) => a.entry === name))
  if (users.length > 0) return ctx.fail(`Storage entry ${name} is still mounted on: ${users.join(', ')}`)
  updateGlobal(ctx, (g) => delete g.storageEntries[name])
  ctx.info1(`Storage entry ${name} destroyed`)
}

const listEntries: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'storage:list-entries', args, { strings: ['format'] })
  const entries = Object.values(loadGlobal(ctx).storageEntries).sort((a, b) => (a.name < b.name ? -1 : 1))
  if (f.strings.get('format') === 'json') {
    ctx.out(goJson(entries.map((e) => ({ name: e.name, host_path: e.path, chown: e.chown, reclaim_policy: e.reclaimPolicy })), false))
    return
  }
  ctx.info2Quiet('Storage entries')
  for (const e of entries) ctx.out(e.name)
}

/**
 * `storage:exec <name> [--image I] [--as-user U] [-- cmd…]` (0.38+; plugins/storage/commands_entries.go
 * CommandExec → scheduler-docker-local storage_exec.go): `docker run --rm [-i] -v <host path>:/data
 * <image> cmd…`, exiting with the command's status. stdin reaches the container only when it is a
 * pipe (`stdinModes`: ModeNamedPipe → `-i`), which is what the real sshd hands a command without a
 * pty. No container here: the command runs on this machine in the entry's directory, and each
 * argument that is `/data` or starts with `/data/` names that directory instead.
 */
const exec: Handler = async (ctx, args) => {
  const dash = args.indexOf('--')
  const command = dash === -1 ? [] : args.slice(dash + 1)
  const f = parseFlags(ctx, 'storage:exec', dash === -1 ? args : args.slice(0, dash), { strings: ['image', 'as-user'] })
  const name = f.positional[0] ?? ''
  if (name === '') return ctx.fail('storage:exec requires a storage entry name')
  if (!loadGlobal(ctx).storageEntries[name]) return ctx.fail(`storage entry "${name}" does not exist`)
  if (command.length === 0) return ctx.fail('the simulator opens no interactive shell: give storage:exec a command')
  const dir = ctx.path('storage', name)
  const argv = command.map((a) => (a === '/data' ? dir : a.startsWith('/data/') ? dir + a.slice(5) : a))
  const interactive = fstatSync(0).isFIFO()
  return new Promise<number>((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: dir, stdio: [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'] })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 1)))
    child.on('error', () => resolve(127))
  })
}

const legacy: Record<string, Handler> = {
  'storage:ensure-directory': ensureDirectory,
  'storage:mount': mount,
  'storage:unmount': unmount,
  'storage:list': list,
  'storage:report': report
}

export const commands: Record<string, Handler> = {
  ...legacy,
  'storage:create': (ctx, args, cmd) => (ctx.atLeast('0.38.0') ? create(ctx, args, cmd) : notCommand(ctx, cmd, args)),
  'storage:destroy': (ctx, args, cmd) => (ctx.atLeast('0.38.0') ? destroy(ctx, args, cmd) : notCommand(ctx, cmd, args)),
  'storage:list-entries': (ctx, args, cmd) => (ctx.atLeast('0.38.0') ? listEntries(ctx, args, cmd) : notCommand(ctx, cmd, args)),
  'storage:exec': (ctx, args, cmd) => (ctx.atLeast('0.38.0') ? exec(ctx, args, cmd) : notCommand(ctx, cmd, args))
}

function notCommand(ctx: Ctx, cmd: string, args: string[]): number {
  ctx.warn(`\`${[cmd, ...args].join(' ')}\` is not a dokku command.`)
  ctx.warn('See `dokku help` for a list of available commands.')
  return 1
}
