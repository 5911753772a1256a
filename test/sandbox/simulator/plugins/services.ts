// The dokku-postgres / dokku-redis command surface (their common-functions are identical),
// backed by real software: a real database + role on the harness's PostgreSQL for each
// postgres service, one real redis-server per redis service.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { isatty } from 'node:tty'
import { join } from 'node:path'
import { Exit, sleepMs } from '../core/ctx.ts'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { listApps, loadApp, mkdirShared, pidAlive, randomHex, readJson, writeFileShared } from '../core/store.ts'
import { padRight } from '../core/format.ts'
import { setMany, unsetMany } from './config.ts'
import { addOptions, removeOptions } from './docker-options.ts'
import { readLinks, writeLinks } from './services-hooks.ts'

export interface ServicePlugin {
  name: 'postgres' | 'redis'
  service: string // "Postgres" / "Redis"
  variable: string // POSTGRES / REDIS
  alias: string // DATABASE / REDIS
  scheme: string
  port: number
  image: string
  imageVersion: string
  configSuffix: string // data / config
  passwordBytes: number
  url(svc: string, password: string, dbName: string, scheme: string): string
  /** create the real backing store; returns the REAL_URL */
  createReal(ctx: Ctx, svc: string, password: string, dbName: string): Promise<string>
  destroyReal(ctx: Ctx, svc: string): void
  startReal(ctx: Ctx, svc: string): Promise<boolean>
  stopReal(ctx: Ctx, svc: string): void
  createSteps: string[]
  exportCmd(ctx: Ctx, svc: string): Promise<number>
  importCmd(ctx: Ctx, svc: string): Promise<number>
  connectCmd(ctx: Ctx, svc: string): Promise<number>
  copyData(ctx: Ctx, from: string, to: string): Promise<void>
  logs(ctx: Ctx, svc: string): string
}

const COLORS = ['AQUA', 'BLACK', 'BLUE', 'FUCHSIA', 'GRAY', 'GREEN', 'LIME', 'MAROON', 'NAVY', 'OLIVE', 'PURPLE', 'RED', 'SILVER', 'TEAL', 'WHITE', 'YELLOW']
const NAME_RE = /^[A-Za-z0-9_-]+$/

export function serviceRoot(ctx: Ctx, p: ServicePlugin, svc: string): string {
  return ctx.path('services', p.name, svc)
}

export function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\n$/, '')
  } catch {
    return ''
  }
}

function write(path: string, value: string): void {
  writeFileSync(path, `${value}\n`, { mode: 0o666 })
}

export function databaseName(svc: string): string {
  return svc.replace(/[.-]/g, '_')
}

export function dnsHostname(p: ServicePlugin, svc: string): string {
  return `dokku.${p.name}.${svc}`.replace(/[._]/g, '-')
}

function serviceExists(ctx: Ctx, p: ServicePlugin, svc: string): boolean {
  return svc !== '' && existsSync(serviceRoot(ctx, p, svc))
}

function verifyService(ctx: Ctx, p: ServicePlugin, svc: string | undefined): string {
  if (!svc) return ctx.fail('Please specify a valid name for the service')
  if (!serviceExists(ctx, p, svc)) return ctx.fail(`${p.service} service ${svc} does not exist`)
  return svc
}

export function listServices(ctx: Ctx, p: ServicePlugin): string[] {
  try {
    return readdirSync(ctx.path('services', p.name)).filter((s) => existsSync(join(ctx.path('services', p.name, s), 'PASSWORD'))).sort()
  } catch {
    return []
  }
}

interface Status {
  status: string
}

function statusFile(ctx: Ctx, p: ServicePlugin, svc: string): string {
  return join(serviceRoot(ctx, p, svc), 'STATUS')
}

export function serviceStatus(ctx: Ctx, p: ServicePlugin, svc: string): string {
  return readJson<Status>(statusFile(ctx, p, svc), { status: 'missing' }).status
}

function setStatus(ctx: Ctx, p: ServicePlugin, svc: string, status: string): void {
  writeFileSync(statusFile(ctx, p, svc), JSON.stringify({ status }), { mode: 0o666 })
}

function password(ctx: Ctx, p: ServicePlugin, svc: string): string {
  return readFile(join(serviceRoot(ctx, p, svc), 'PASSWORD'))
}

/** service_url with the app's <VAR>_DATABASE_SCHEME */
function serviceUrl(ctx: Ctx, p: ServicePlugin, svc: string, app?: string): string {
  let scheme = p.scheme
  if (app) scheme = loadApp(ctx, app).env[`${p.variable}_DATABASE_SCHEME`] || p.scheme
  return p.url(svc, password(ctx, p, svc), readFile(join(serviceRoot(ctx, p, svc), 'DATABASE_NAME')) || databaseName(svc), scheme)
}

// ---- argument parsing (service_parse_args) -----------------------------------------------------

interface ServiceArgs {
  alias?: string
  configOptions?: string
  customEnv?: string
  image?: string
  imageVersion?: string
  memory?: string
  noRestart: boolean
  initialNetwork?: string
  password?: string
  postCreateNetwork?: string
  querystring?: string
  restartApps?: string
  shmSize?: string
  postStartNetwork?: string
}

const LONG: Record<string, string> = {
  '--alias': 'a', '--config-options': 'c', '--custom-env': 'C', '--database': 'd', '--image': 'i', '--image-version': 'I', '--memory': 'm',
  '--no-restart': 'n', '--initial-network': 'N', '--password': 'p', '--post-create-network': 'P', '--querystring': 'q', '--restart-apps': 'R',
  '--root-password': 'r', '--shm-size': 's', '--post-start-network': 'S', '--user': 'u'
}

function parseServiceArgs(args: string[]): ServiceArgs {
  const out: ServiceArgs = { noRestart: false }
  for (let i = 0; i < args.length; i++) {
    let a = args[i] as string
    if (a in LONG) a = `-${LONG[a]}`
    if (!/^-[A-Za-z]$/.test(a)) continue
    const f = a.slice(1)
    if (f === 'n') {
      out.noRestart = true
      continue
    }
    const v = args[++i] ?? ''
    switch (f) {
      case 'a': out.alias = v.toUpperCase().replace(/_URL$/, ''); break
      case 'c': out.configOptions = v; break
      case 'C': out.customEnv = v; break
      case 'i': out.image = v; break
      case 'I': out.imageVersion = v; break
      case 'm': out.memory = v; break
      case 'N': out.initialNetwork = v; break
      case 'p': out.password = v; break
      case 'P': out.postCreateNetwork = v; break
      case 'q': out.querystring = v.replace(/^\?/, ''); break
      case 'R': out.restartApps = v; break
      case 's': out.shmSize = v; break
      case 'S': out.postStartNetwork = v; break
      default: break
    }
  }
  return out
}

// ---- info --------------------------------------------------------------------------------------

function exposedPorts(ctx: Ctx, p: ServicePlugin, svc: string): string {
  const ports = readFile(join(serviceRoot(ctx, p, svc), 'PORT')).trim()
  if (ports === '') return '-'
  return `${p.port}->${ports.split(/\s+/)[0]} `
}

function linkedApps(ctx: Ctx, p: ServicePlugin, svc: string): string {
  const links = readLinks(ctx, p.name, svc)
  return links.length === 0 ? '-' : links.map((l) => `${l} `).join('')
}

function infoFlags(ctx: Ctx, p: ServicePlugin, svc: string): Array<[string, string]> {
  const root = serviceRoot(ctx, p, svc)
  const props = readJson<Record<string, string>>(join(root, 'props.json'), {})
  const status = serviceStatus(ctx, p, svc)
  return [
    ['--config-dir', `${root}/${p.configSuffix}`],
    ['--config-options', readFile(join(root, 'CONFIG_OPTIONS'))],
    ['--data-dir', `${root}/data`],
    ['--dsn', serviceUrl(ctx, p, svc)],
    ['--exposed-ports', exposedPorts(ctx, p, svc)],
    ['--id', status === 'missing' ? '' : readFile(join(root, 'ID'))],
    ['--internal-ip', status === 'running' ? readFile(join(root, 'IP')) : ''],
    ['--initial-network', props['initial-network'] ?? ''],
    ['--links', linkedApps(ctx, p, svc)],
    ['--post-create-network', props['post-create-network'] ?? ''],
    ['--post-start-network', props['post-start-network'] ?? ''],
    ['--service-root', root],
    ['--status', status],
    ['--version', status === 'missing' ? '' : `${readFile(join(root, 'IMAGE'))}:${readFile(join(root, 'IMAGE_VERSION'))}`]
  ]
}

function printInfo(ctx: Ctx, p: ServicePlugin, svc: string, infoFlag?: string): void {
  const flags = infoFlags(ctx, p, svc)
  if (!infoFlag) {
    ctx.info2Quiet(`${svc} ${p.name} service information`)
    for (const [flag, value] of flags) {
      const key = flag.slice(2).replace(/-/g, ' ') + ':'
      ctx.verbose(`${padRight(key[0]!.toUpperCase() + key.slice(1), 20)} ${padRight(value, 25)}`)
    }
    return
  }
  const hit = flags.find(([f]) => f === infoFlag)
  if (!hit) ctx.fail(`Invalid flag passed, valid flags:${flags.map(([f]) => ` ${f}`).join('')}`)
  ctx.out(hit[1])
}

// ---- create / destroy ----------------------------------------------------------------------------

async function createService(ctx: Ctx, p: ServicePlugin, svc: string, args: string[]): Promise<void> {
  if (!NAME_RE.test(svc)) ctx.fail('Please specify a valid name for the service. Valid characters are: [A-Za-z0-9_]+')
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (serviceExists(ctx, p, svc)) ctx.fail(`${p.service} service ${svc} already exists`)
  const a = parseServiceArgs(args)
  const image = a.image ?? p.image
  const version = a.imageVersion ?? p.imageVersion
  const pulled = readJson<string[]>(ctx.path('state', 'images.json'), [])
  const ref = `${image}:${version}`
  if (!pulled.includes(ref)) {
    ctx.out(`${version}: Pulling from ${image.includes('/') ? image : `library/${image}`}`)
    ctx.out(`Digest: sha256:${randomHex(32)}`)
    ctx.out(`Status: Downloaded newer image for ${ref}`)
    ctx.out(`docker.io/${image.includes('/') ? image : `library/${image}`}:${version}`)
    writeFileShared(ctx.path('state', 'images.json'), JSON.stringify([...pulled, ref]))
  }
  const root = serviceRoot(ctx, p, svc)
  mkdirShared(join(root, 'data'))
  if (p.configSuffix !== 'data') mkdirShared(join(root, p.configSuffix))
  write(join(root, 'LINKS'), '')
  writeFileSync(join(root, 'LINKS'), '', { mode: 0o666 })
  let pw = randomHex(p.passwordBytes)
  if (a.password !== undefined) {
    pw = a.password
    ctx.warn('Specified password may not be as secure as the auto-generated password')
  }
  write(join(root, 'PASSWORD'), pw)
  write(join(root, 'ENV'), (a.customEnv ?? '').split(';').join('\n'))
  write(join(root, 'CONFIG_OPTIONS'), a.configOptions ?? '')
  if (a.memory) write(join(root, 'SERVICE_MEMORY'), a.memory)
  if (a.shmSize) write(join(root, 'SHM_SIZE'), a.shmSize)
  write(join(root, 'IMAGE'), image)
  write(join(root, 'IMAGE_VERSION'), version)
  write(join(root, 'DATABASE_NAME'), databaseName(svc))
  const props: Record<string, string> = {}
  if (a.initialNetwork) props['initial-network'] = a.initialNetwork
  if (a.postCreateNetwork) props['post-create-network'] = a.postCreateNetwork
  if (a.postStartNetwork) props['post-start-network'] = a.postStartNetwork
  writeFileSync(join(root, 'props.json'), JSON.stringify(props), { mode: 0o666 })
  write(join(root, 'ID'), randomHex(32))
  write(join(root, 'IP'), `172.17.0.${2 + Math.floor(Math.random() * 250)}`)
  ctx.verboseQuiet('Waiting for container to be ready')
  let realUrl: string
  try {
    realUrl = await p.createReal(ctx, svc, pw, databaseName(svc))
  } catch (error) {
    ctx.info2Quiet(`Start of ${svc} container output`)
    ctx.verboseQuiet((error as Error).message)
    ctx.info2Quiet(`End of ${svc} container output`)
    throw new Exit(1)
  }
  write(join(root, 'REAL_URL'), realUrl)
  setStatus(ctx, p, svc, 'running')
  for (const step of p.createSteps) ctx.verboseQuiet(step)
  ctx.info2(`${p.service} container created: ${svc}`)
  printInfo(ctx, p, svc)
}

// ---- link / unlink -----------------------------------------------------------------------------------

function configLines(ctx: Ctx, app: string): string[] {
  const env = loadApp(ctx, app).env
  return Object.entries(env).map(([k, v]) => `${k}:  ${v}`)
}

function linkedVars(ctx: Ctx, p: ServicePlugin, svc: string, app: string): string[] {
  const url = serviceUrl(ctx, p, svc, app)
  return configLines(ctx, app).filter((l) => l.includes(url)).map((l) => l.split(':')[0] as string)
}

function alternativeAlias(ctx: Ctx, p: ServicePlugin, app: string): string {
  const lines = configLines(ctx, app)
  for (const color of COLORS) {
    const alias = `DOKKU_${p.variable}_${color}`
    if (!lines.some((l) => l.includes(`${alias}_URL`))) return alias
  }
  return ''
}

function noRestart(ctx: Ctx, a: ServiceArgs): boolean {
  return ctx.globalFlags.includes('--no-restart') || a.noRestart || a.restartApps === 'false'
}

async function link(ctx: Ctx, p: ServicePlugin, args: string[]): Promise<void> {
  const [svc = '', appArg = ''] = args
  const app = appArg || ctx.appFlag || ''
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (app === '') ctx.fail('Please specify an app to run the command on')
  verifyApp(ctx, app)
  verifyService(ctx, p, svc)
  const a = parseServiceArgs(args.slice(2))
  const lines = configLines(ctx, app)
  const existing = linkedVars(ctx, p, svc, app)
  let alias = p.alias
  if (a.alias) {
    alias = a.alias
    if (lines.some((l) => l.includes(`${alias}_URL`))) ctx.fail(`Specified alias ${alias} already in use`)
  } else {
    if (lines.some((l) => l.includes(`${p.alias}_URL`))) alias = alternativeAlias(ctx, p, app)
    if (alias === '') ctx.fail('Unable to use default or generated URL alias')
  }
  if (existing.length > 0) ctx.fail(`Already linked as ${existing.join('\n')}`)
  writeLinks(ctx, p.name, svc, [...readLinks(ctx, p.name, svc), app])
  addOptions(ctx, app, ['build', 'deploy', 'run'], `--link dokku.${p.name}.${svc}:${dnsHostname(p, svc)}`)
  let url = serviceUrl(ctx, p, svc, app)
  if (a.querystring) url = `${url}?${a.querystring}`
  if (noRestart(ctx, a)) {
    await setMany(ctx, app, false, { [`${alias}_URL`]: url }, false, false)
    ctx.verbose('Skipping restart of linked app')
  } else await setMany(ctx, app, false, { [`${alias}_URL`]: url }, false, true)
}

async function unlink(ctx: Ctx, p: ServicePlugin, args: string[]): Promise<void> {
  const [svc = '', appArg = ''] = args
  const app = appArg || ctx.appFlag || ''
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (app === '') ctx.fail('Please specify an app to run the command on')
  verifyService(ctx, p, svc)
  verifyApp(ctx, app)
  const a = parseServiceArgs(args.slice(2))
  const vars = linkedVars(ctx, p, svc, app)
  writeLinks(ctx, p.name, svc, readLinks(ctx, p.name, svc).filter((l) => l !== app))
  removeOptions(ctx, app, ['build', 'deploy', 'run'], `--link dokku.${p.name}.${svc}:${dnsHostname(p, svc)}`)
  if (vars.length === 0) ctx.fail(`Not linked to app ${app}`)
  if (noRestart(ctx, a)) {
    await unsetMany(ctx, app, false, vars, false)
    ctx.verbose('Skipping restart of linked app')
  } else await unsetMany(ctx, app, false, vars, true)
}

function linked(ctx: Ctx, p: ServicePlugin, args: string[]): void {
  const [svc = '', appArg = ''] = args
  const app = appArg || ctx.appFlag || ''
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (app === '') ctx.fail('Please specify an app to run the command on')
  verifyApp(ctx, app)
  verifyService(ctx, p, svc)
  if (linkedVars(ctx, p, svc, app).length === 0) ctx.fail(`Service ${svc} is not linked to ${app}`)
  ctx.info1(`Service ${svc} is linked to ${app}`)
}

async function promote(ctx: Ctx, p: ServicePlugin, args: string[]): Promise<void> {
  const [svc = '', appArg = ''] = args
  const app = appArg || ctx.appFlag || ''
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (app === '') ctx.fail('Please specify an app to run the command on')
  verifyService(ctx, p, svc)
  verifyApp(ctx, app)
  const vars = linkedVars(ctx, p, svc, app)
  const def = `${p.alias}_URL`
  if (vars.length === 0) ctx.fail(`Not linked to app ${app}`)
  if (vars.includes(def)) ctx.fail(`Service ${svc} already promoted as ${def}`)
  const env = loadApp(ctx, app).env
  const entries: Record<string, string> = {}
  const previous = env[def]
  if (previous) {
    const others = configLines(ctx, app).filter((l) => l.includes(previous) && !l.includes(def))
    if (others.length === 0) entries[`${alternativeAlias(ctx, p, app)}_URL`] = previous
  }
  entries[def] = env[vars[0] as string] as string
  await setMany(ctx, app, false, entries, false, true)
}

// ---- lifecycle -----------------------------------------------------------------------------------

async function start(ctx: Ctx, p: ServicePlugin, svc: string, quiet = false): Promise<boolean> {
  if (serviceStatus(ctx, p, svc) === 'running') {
    if (!quiet) ctx.warn('Service is already started')
    return true
  }
  ctx.info2Quiet('Starting container')
  const ok = await p.startReal(ctx, svc)
  if (!ok) return false
  setStatus(ctx, p, svc, 'running')
  ctx.info2('Container started')
  return true
}

function pause(ctx: Ctx, p: ServicePlugin, svc: string): void {
  const status = serviceStatus(ctx, p, svc)
  if (status === 'missing') {
    ctx.warn('Service is already paused')
    return
  }
  ctx.info2Quiet('Pausing container')
  p.stopReal(ctx, svc)
  setStatus(ctx, p, svc, 'exited')
  ctx.verboseQuiet('Container paused')
}

function containerRm(ctx: Ctx, p: ServicePlugin, svc: string): void {
  pause(ctx, p, svc)
  ctx.verboseQuiet('Removing container')
  setStatus(ctx, p, svc, 'missing')
}

function destroy(ctx: Ctx, p: ServicePlugin, args: string[]): void {
  const [svc = '', forceFlag = ''] = args
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  verifyService(ctx, p, svc)
  const root = serviceRoot(ctx, p, svc)
  if (readFile(join(root, 'LINKS')).trim() !== '') ctx.fail('Cannot delete linked service')
  const force = ctx.force || ['force', '-f', '--force'].includes(forceFlag)
  if (!force) {
    ctx.warn('WARNING: Potentially Destructive Action')
    ctx.warn(`This command will destroy ${svc} ${p.service} service.`)
    ctx.warn(`To proceed, type "${svc}"`)
    ctx.out('')
    let answer: string | undefined
    try {
      const data = readFileSync(0, 'utf8')
      answer = data === '' ? undefined : data.split('\n')[0]
    } catch {
      answer = undefined
    }
    if (answer === undefined) throw new Exit(1)
    if (answer !== svc) ctx.fail(`Confirmation did not match ${svc}. Aborted.`)
  }
  ctx.info2Quiet(`Deleting ${svc}`)
  rmSync(ctx.path('state', 'cron', `dokku-${p.name}-${svc}`), { force: true })
  containerRm(ctx, p, svc)
  ctx.verboseQuiet('Removing data')
  p.destroyReal(ctx, svc)
  rmSync(root, { recursive: true, force: true })
  ctx.info2(`${p.service} container deleted: ${svc}`)
}

// ---- expose --------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

async function expose(ctx: Ctx, p: ServicePlugin, args: string[]): Promise<void> {
  const svc = verifyService(ctx, p, args[0])
  const root = serviceRoot(ctx, p, svc)
  const existing = readFile(join(root, 'PORT')).trim()
  if (existing !== '') ctx.fail(`Service ${svc} already exposed on port(s) ${existing}`)
  const ports = args.slice(1)
  if (ports.length > 0 && ports.length !== 1) ctx.fail(`1 ports to be exposed need to be provided in the following order: ${p.port}`)
  const port = ports[0] ?? String(await freePort())
  write(join(root, 'PORT'), port)
  ctx.info1(`Service ${svc} exposed on port(s) [container->host]: ${exposedPorts(ctx, p, svc)}`)
}

function unexpose(ctx: Ctx, p: ServicePlugin, args: string[]): void {
  const svc = verifyService(ctx, p, args[0])
  rmSync(join(serviceRoot(ctx, p, svc), 'PORT'), { force: true })
  ctx.info1(`Service ${svc} unexposed`)
}

// ---- backups ---------------------------------------------------------------------------------------------

function backupAuth(ctx: Ctx, p: ServicePlugin, args: string[]): void {
  const [svc = '', key = '', secret = '', region = '', sig = '', endpoint = ''] = args
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (key === '') ctx.fail('Please specify an aws access key id')
  if (secret === '') ctx.fail('Please specify an aws secret access key')
  verifyService(ctx, p, svc)
  const dir = join(serviceRoot(ctx, p, svc), 'backup')
  try {
    mkdirSync(dir, { mode: 0o777 })
  } catch {
    ctx.err(`mkdir: cannot create directory '${dir}': File exists`)
    throw new Exit(1)
  }
  write(join(dir, 'AWS_ACCESS_KEY_ID'), key)
  write(join(dir, 'AWS_SECRET_ACCESS_KEY'), secret)
  if (region) write(join(dir, 'AWS_DEFAULT_REGION'), region)
  if (sig) write(join(dir, 'AWS_SIGNATURE_VERSION'), sig)
  if (endpoint) write(join(dir, 'ENDPOINT_URL'), endpoint)
}

async function backup(ctx: Ctx, p: ServicePluginIo, args: string[]): Promise<number> {
  const [svc = '', bucket = '', iam = ''] = args
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (bucket === '') ctx.fail('Please specify an aws bucket for the backup')
  verifyService(ctx, p, svc)
  const dir = join(serviceRoot(ctx, p, svc), 'backup')
  if (iam !== '--use-iam' && iam !== '-u') {
    if (iam !== '') ctx.fail('Provide AWS credentials or use the --use-iam flag')
    if (!existsSync(join(dir, 'AWS_ACCESS_KEY_ID'))) ctx.fail('Missing AWS_ACCESS_KEY_ID file')
    if (!existsSync(join(dir, 'AWS_SECRET_ACCESS_KEY'))) ctx.fail('Missing AWS_SECRET_ACCESS_KEY file')
  }
  if (serviceStatus(ctx, p, svc) !== 'running') ctx.fail('Service container is not running')
  const endpoint = readFile(join(dir, 'ENDPOINT_URL'))
  const ts = new Date().toISOString().replace(/\.\d{3}Z$/, '').replace(/[T:]/g, '-')
  const key = `${p.name}-${svc}-${ts}.tgz`
  if (endpoint === '') {
    ctx.err('upload failed: no ENDPOINT_URL configured (the sandbox reaches only 127.0.0.1)')
    ctx.out('Backup of backup/ has failed. Please investigate the issue.')
    return 1
  }
  const work = join(serviceRoot(ctx, p, svc), `.backup-${process.pid}`)
  mkdirShared(join(work, 'backup'))
  try {
    const fd = openSync(join(work, 'backup', 'export'), 'w', 0o666)
    const code = await p.exportCmdTo(ctx, svc, fd)
    closeSync(fd)
    if (code !== 0) return code
    spawnSync('tar', ['--create', '--gzip', '--file', join(work, 'backup.tgz'), '-C', work, 'backup'])
    const [bucketName = '', ...prefix] = bucket.split('/')
    const objectKey = [...prefix, key].join('/')
    const body = readFileSync(join(work, 'backup.tgz'))
    const res = await fetch(`${endpoint.replace(/\/$/, '')}/${bucketName}/${objectKey}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', authorization: `AWS ${readFile(join(dir, 'AWS_ACCESS_KEY_ID'))}:sandbox` } })
    if (!res.ok) {
      ctx.err(`upload failed: ${res.status}`)
      ctx.out('Backup of backup/ has failed. Please investigate the issue.')
      return 1
    }
    ctx.out(`${ts}: The backup for ${p.name}-${svc} finished successfully.`)
    return 0
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function backupSchedule(ctx: Ctx, p: ServicePlugin, args: string[]): void {
  const [svc = '', schedule = '', bucket = '', iam = ''] = args
  if (svc === '') ctx.fail('Please specify a valid name for the service')
  if (schedule === '') ctx.fail('Please specify a schedule for the backup')
  if (bucket === '') ctx.fail('Please specify an aws bucket for the backup')
  verifyService(ctx, p, svc)
  if (iam !== '' && iam !== '--use-iam') ctx.fail("Invalid flag provided, only '--use-iam' allowed")
  writeFileShared(ctx.path('state', 'cron', `dokku-${p.name}-${svc}`), `${schedule} dokku /usr/bin/dokku ${p.name}:backup ${svc} ${bucket} ${iam}\n`)
}

// ---- command table ---------------------------------------------------------------------------------------

export interface ServicePluginIo extends ServicePlugin {
  exportCmdTo(ctx: Ctx, svc: string, fd: number): Promise<number>
}

export function serviceCommands(p: ServicePluginIo): Record<string, Handler> {
  const n = p.name
  const svcOnly = (fn: (ctx: Ctx, svc: string) => void | number | Promise<void | number>): Handler => (ctx, args) => fn(ctx, verifyService(ctx, p, args[0]))
  return {
    [`${n}:create`]: (ctx, args) => createService(ctx, p, args[0] ?? '', args.slice(1)),
    [`${n}:exists`]: svcOnly((ctx, svc) => ctx.info1(`Service ${svc} exists`)),
    [`${n}:info`]: (ctx, args) => {
      const svc = verifyService(ctx, p, args[0])
      printInfo(ctx, p, svc, args[1])
    },
    [`${n}:list`]: (ctx) => {
      const services = listServices(ctx, p)
      if (services.length === 0) {
        ctx.warn(`There are no ${p.service} services`)
        return
      }
      ctx.info2Quiet(`${p.service} services`)
      for (const s of services) ctx.out(s)
    },
    [`${n}:link`]: (ctx, args) => link(ctx, p, args),
    [`${n}:unlink`]: (ctx, args) => unlink(ctx, p, args),
    [`${n}:linked`]: (ctx, args) => linked(ctx, p, args),
    [`${n}:links`]: svcOnly((ctx, svc) => {
      for (const l of readLinks(ctx, p.name, svc)) ctx.out(l)
    }),
    [`${n}:app-links`]: (ctx, args) => {
      const app = verifyApp(ctx, args[0] || ctx.appFlag)
      for (const s of listServices(ctx, p)) if (readLinks(ctx, p.name, s).includes(app)) ctx.out(s)
    },
    [`${n}:promote`]: (ctx, args) => promote(ctx, p, args),
    [`${n}:destroy`]: (ctx, args) => destroy(ctx, p, args),
    [`${n}:export`]: svcOnly((ctx, svc) => p.exportCmd(ctx, svc)),
    [`${n}:import`]: svcOnly((ctx, svc) => {
      if (isatty(0)) ctx.fail('No data provided on stdin.')
      return p.importCmd(ctx, svc)
    }),
    [`${n}:connect`]: svcOnly((ctx, svc) => p.connectCmd(ctx, svc)),
    [`${n}:expose`]: (ctx, args) => expose(ctx, p, args),
    [`${n}:unexpose`]: (ctx, args) => unexpose(ctx, p, args),
    [`${n}:start`]: svcOnly(async (ctx, svc) => ((await start(ctx, p, svc)) ? 0 : 1)),
    [`${n}:stop`]: svcOnly((ctx, svc) => containerRm(ctx, p, svc)),
    [`${n}:pause`]: svcOnly((ctx, svc) => pause(ctx, p, svc)),
    [`${n}:restart`]: svcOnly(async (ctx, svc) => {
      pause(ctx, p, svc)
      await start(ctx, p, svc)
      ctx.info1('Please call dokku ps:restart on all linked apps')
    }),
    [`${n}:upgrade`]: svcOnly(async (ctx, svc) => {
      const a = parseServiceArgs(process.argv.slice(4))
      const root = serviceRoot(ctx, p, svc)
      const target = `${a.image ?? p.image}:${a.imageVersion ?? p.imageVersion}`
      const current = `${readFile(join(root, 'IMAGE'))}:${readFile(join(root, 'IMAGE_VERSION'))}`
      if (current === target) {
        ctx.info1(`Service ${svc} already running ${target}`)
        return
      }
      write(join(root, 'IMAGE'), a.image ?? p.image)
      write(join(root, 'IMAGE_VERSION'), a.imageVersion ?? p.imageVersion)
      ctx.info2(`Upgrading ${svc} to ${target}`)
      ctx.info2(`Stopping ${svc}`)
      containerRm(ctx, p, svc)
      await start(ctx, p, svc)
      ctx.info2('Done')
    }),
    [`${n}:clone`]: async (ctx, args) => {
      const [svc = '', target = ''] = args
      if (svc === '') ctx.fail('Please specify a valid name for the service')
      if (target === '') ctx.fail('Please specify a name for the new service')
      verifyService(ctx, p, svc)
      if (serviceExists(ctx, p, target)) ctx.fail(`Invalid service name ${target}. Verify the service name is not already in use.`)
      if (serviceStatus(ctx, p, svc) !== 'running') ctx.fail(`Service ${svc} container is not running`)
      const root = serviceRoot(ctx, p, svc)
      const image = readFile(join(root, 'IMAGE'))
      const version = readFile(join(root, 'IMAGE_VERSION'))
      ctx.info2(`Cloning ${svc} to ${target} @ ${image}:${version}`)
      await createService(ctx, p, target, ['-i', image, '-I', version, ...args.slice(2)])
      ctx.info1(`Copying data from ${svc} to ${target}`)
      await p.copyData(ctx, svc, target).catch(() => undefined)
      ctx.info2('Done')
    },
    [`${n}:logs`]: svcOnly((ctx, svc) => {
      if (serviceStatus(ctx, p, svc) === 'missing') ctx.fail('Service container does not exist')
      ctx.stdout(p.logs(ctx, svc))
    }),
    [`${n}:enter`]: svcOnly((ctx, svc) => {
      if (serviceStatus(ctx, p, svc) === 'missing') ctx.fail('Service container does not exist')
      if (serviceStatus(ctx, p, svc) !== 'running') ctx.fail('Service container is not running')
      ctx.info1Quiet('Filesystem changes may not persist after container restarts')
      return 0
    }),
    [`${n}:set`]: (ctx, args) => {
      const svc = verifyService(ctx, p, args[0])
      const key = args[1] ?? ''
      const keys = ['initial-network', 'post-create-network', 'post-start-network']
      if (!keys.includes(key)) ctx.fail(`Invalid key specified, valid keys include: ${keys.join(' ')}`)
      const file = join(serviceRoot(ctx, p, svc), 'props.json')
      const props = readJson<Record<string, string>>(file, {})
      if (args[2]) props[key] = args[2]
      else delete props[key]
      writeFileSync(file, JSON.stringify(props), { mode: 0o666 })
    },
    [`${n}:backup-auth`]: (ctx, args) => backupAuth(ctx, p, args),
    [`${n}:backup-deauth`]: svcOnly((ctx, svc) => rmSync(join(serviceRoot(ctx, p, svc), 'backup'), { recursive: true, force: true })),
    [`${n}:backup`]: (ctx, args) => backup(ctx, p, args),
    [`${n}:backup-schedule`]: (ctx, args) => backupSchedule(ctx, p, args),
    [`${n}:backup-schedule-cat`]: svcOnly((ctx, svc) => {
      const file = ctx.path('state', 'cron', `dokku-${p.name}-${svc}`)
      if (!existsSync(file)) ctx.fail(`There is no scheduled backup for ${svc}.`)
      ctx.stdout(readFileSync(file))
    }),
    [`${n}:backup-unschedule`]: svcOnly((ctx, svc) => rmSync(ctx.path('state', 'cron', `dokku-${p.name}-${svc}`), { force: true })),
    [`${n}:backup-set-encryption`]: (ctx, args) => {
      const svc = verifyService(ctx, p, args[0])
      if (!args[1]) ctx.fail('Please specify a GPG passphrase')
      mkdirShared(join(serviceRoot(ctx, p, svc), 'backup-encryption'))
      write(join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPTION_KEY'), args[1] as string)
    },
    [`${n}:backup-unset-encryption`]: svcOnly((ctx, svc) => {
      try {
        rmSync(join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPTION_KEY'))
      } catch {
        ctx.err(`rm: cannot remove '${join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPTION_KEY')}': No such file or directory`)
        return 1
      }
      return 0
    }),
    [`${n}:backup-set-public-key-encryption`]: (ctx, args) => {
      const svc = verifyService(ctx, p, args[0])
      if (!args[1]) ctx.fail('Please specify a GPG Public Key ID')
      mkdirShared(join(serviceRoot(ctx, p, svc), 'backup-encryption'))
      write(join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPT_WITH_PUBLIC_KEY_ID'), args[1] as string)
    },
    [`${n}:backup-unset-public-key-encryption`]: svcOnly((ctx, svc) => {
      try {
        rmSync(join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPT_WITH_PUBLIC_KEY_ID'))
      } catch {
        ctx.err(`rm: cannot remove '${join(serviceRoot(ctx, p, svc), 'backup-encryption', 'ENCRYPT_WITH_PUBLIC_KEY_ID')}': No such file or directory`)
        return 1
      }
      return 0
    })
  }
}

// ---- helpers for the plugin modules ---------------------------------------------------------------------------

export function spawnPassthrough(cmd: string, args: string[], env: NodeJS.ProcessEnv, stdin: 'inherit' | 'ignore', stdout: 'inherit' | number = 'inherit'): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: [stdin, stdout, 'inherit'] })
    child.on('exit', (code) => resolve(code ?? 1))
    child.on('error', () => resolve(127))
  })
}

export function appsUsing(ctx: Ctx, p: ServicePlugin, svc: string): string[] {
  return listApps(ctx).filter((a) => readLinks(ctx, p.name, svc).includes(a))
}

export { freePort, pidAlive, sleepMs }
