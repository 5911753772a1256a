// The build and deploy path of the simulated host: build records and the 0.38 build
// capture, the exclusive deploy lock, git_receive_app → build → release_and_deploy, and the
// app "containers" (container.ts processes) that replace each other on the app's stable port.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Exit, sleepMs } from './ctx.ts'
import type { Ctx } from './ctx.ts'
import { cleanGitEnv } from './git.ts'
import {
  appDir, appStateDir, loadApp, loadGlobal, mkdirShared, pidAlive, prop, readJson, setProp, updateApp, withMutex, writeFileShared
} from './store.ts'
import type { AppState, Release } from './store.ts'
import { appUrls, checksDisabled, computedDeployBranch, proxyEnabled, proxyType, vhostEnabled, waitToRetire } from './appinfo.ts'
import { assertEnvReadable, storeEnv } from './envfile.ts'
import { standInFor } from './seaweed.ts'

// ---- build records and capture (0.38+) ---------------------------------------------------

export interface BuildRecord {
  id: string
  app: string
  kind: 'build' | 'deploy'
  pid: number
  started_at: string
  finished_at?: string
  status: string
  source: string
  exit_code?: number
}

const BUILD_SOURCES = new Set(['git-hook', 'ps:rebuild', 'git:sync', 'git:from-archive', 'git:from-image', 'git:load-image'])

export function buildsDir(ctx: Ctx, app: string): string {
  return ctx.path('state', 'builds', app)
}

export function newBuildId(): string {
  const ts = Date.now().toString(36).padStart(8, '0').slice(-8)
  let rnd = ''
  for (let i = 0; i < 6; i++) rnd += Math.floor(Math.random() * 36).toString(36)
  return ts + rnd
}

export function readBuild(ctx: Ctx, app: string, id: string): BuildRecord | undefined {
  return readJson<BuildRecord | undefined>(join(buildsDir(ctx, app), `${id}.json`), undefined)
}

export function writeBuild(ctx: Ctx, record: BuildRecord): void {
  writeFileShared(join(buildsDir(ctx, record.app), `${record.id}.json`), JSON.stringify(record))
}

export function listBuilds(ctx: Ctx, app: string): BuildRecord[] {
  let files: string[]
  try {
    files = readdirSync(buildsDir(ctx, app)).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  return files
    .map((f) => readBuild(ctx, app, f.slice(0, -5)))
    .filter((r): r is BuildRecord => r !== undefined)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

export function displayStatus(record: BuildRecord): string {
  if (record.status === 'running' && !pidAlive(record.pid)) return 'abandoned'
  return record.status
}

/** dokku_setup_build_capture: from 0.38 a build record is started and stderr merges onto stdout. */
export function startBuildCapture(ctx: Ctx, app: string, source: string): void {
  if (!ctx.atLeast('0.38.0') || app === '' || ctx.capturing) return
  const id = process.env.DOKKU_BUILD_ID || newBuildId()
  process.env.DOKKU_BUILD_ID = id
  process.env.DOKKU_BUILD_SOURCE = source
  const dir = buildsDir(ctx, app)
  mkdirShared(dir)
  const log = join(dir, `${id}.log`)
  writeFileSync(log, '', { mode: 0o666 })
  writeBuild(ctx, {
    id,
    app,
    kind: BUILD_SOURCES.has(source) ? 'build' : 'deploy',
    pid: process.pid,
    started_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    status: 'running',
    source
  })
  ctx.startCapture(log)
}

export function finalizeBuild(ctx: Ctx, app: string, exitCode: number): void {
  const id = process.env.DOKKU_BUILD_ID
  if (!id || !ctx.atLeast('0.38.0')) return
  const record = readBuild(ctx, app, id)
  if (!record || record.status !== 'running') return
  record.status = exitCode === 0 ? 'succeeded' : 'failed'
  record.exit_code = exitCode
  record.finished_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  writeBuild(ctx, record)
}

// ---- deploy lock ---------------------------------------------------------------------------

export function lockFile(ctx: Ctx, app: string): string {
  return join(appStateDir(ctx, app), '.deploy.lock')
}

function flockFile(ctx: Ctx, app: string): string {
  return join(appStateDir(ctx, app), '.deploy.flock')
}

/** acquire_app_deploy_lock "exclusive": truncate the lock file, flock -n, write the build id. */
export function acquireDeployLock(ctx: Ctx, app: string): void {
  mkdirShared(appStateDir(ctx, app))
  writeFileSync(lockFile(ctx, app), '', { mode: 0o666 })
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(flockFile(ctx, app), 'wx', 0o666)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let holder: number
      try {
        holder = Number(readFileSync(flockFile(ctx, app), 'utf8'))
      } catch {
        continue
      }
      if (attempt < 50 && !(holder > 0) ) {
        sleepMs(2)
        continue
      }
      if (holder > 0 && !pidAlive(holder)) {
        rmSync(flockFile(ctx, app), { force: true })
        continue
      }
      ctx.warn(`${app} currently has a deploy lock in place. Exiting...`)
      ctx.warn("Run 'apps:unlock' to release the existing deploy lock")
      throw new Exit(1)
    }
  }
  writeFileSync(lockFile(ctx, app), process.env.DOKKU_BUILD_ID ?? String(process.pid), { mode: 0o666 })
}

export function releaseDeployLock(ctx: Ctx, app: string, exitCode: number): void {
  finalizeBuild(ctx, app, exitCode)
  rmSync(flockFile(ctx, app), { force: true })
  rmSync(lockFile(ctx, app), { force: true })
}

// ---- git_receive_app -----------------------------------------------------------------------

const ESC = '\x1b[1G\x1b[K'

export function hookEcho(ctx: Ctx, text: string): void {
  ctx.out(`${ESC}${text}`)
}

/** git_receive_app: no repo → nothing; else lock, build (from rev or the deploy branch), release. */
export async function gitReceiveApp(ctx: Ctx, app: string, rev: string | undefined, gitEnv?: NodeJS.ProcessEnv): Promise<number> {
  if (!existsSync(join(appDir(ctx, app), 'refs'))) return 0
  acquireDeployLock(ctx, app)
  let code = 1
  try {
    code = await gitBuild(ctx, app, rev, gitEnv)
  } finally {
    releaseDeployLock(ctx, app, code)
  }
  return code
}

export function setRevEnv(ctx: Ctx, app: string, rev: string): void {
  updateApp(ctx, app, (state) => {
    const configured = state.props.git && 'rev-env-var' in state.props.git
    const name = configured ? (prop(state, 'git', 'rev-env-var') ?? '') : 'GIT_REV'
    if (name === '') return
    const stored = storeEnv(ctx, { ...state.env, [name]: rev })
    state.env = stored.env
    if (stored.envFileError !== undefined) state.envFileError = stored.envFileError
  })
}

async function gitBuild(ctx: Ctx, app: string, rev: string | undefined, gitEnv?: NodeJS.ProcessEnv): Promise<number> {
  let ref = rev
  if (rev) setRevEnv(ctx, app, rev)
  else {
    const branch = computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))
    const refPath = join(appDir(ctx, app), 'refs', 'heads', branch)
    if (existsSync(refPath)) ref = readFileSync(refPath, 'utf8').trim()
    else hookEcho(ctx, `-----> WARNING: Cannot build from '${branch}' as there are no commits stored at that branch.`)
  }
  if (!ref) return 1
  return buildFromRev(ctx, app, ref, gitEnv)
}

interface Tree {
  dir: string
  has(path: string): boolean
  read(path: string): string | undefined
}

function extractTree(ctx: Ctx, app: string, rev: string, gitEnv?: NodeJS.ProcessEnv): Tree {
  const dir = mkdtempSync(join(tmpdir(), `dokku-sandbox-${process.pid}-`))
  const env = gitEnv ?? cleanGitEnv()
  spawnSync('bash', ['-c', 'set -o pipefail; git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', 'archive', appDir(ctx, app), rev, dir], { env })
  return {
    dir,
    has: (p) => existsSync(join(dir, p)),
    read: (p) => {
      try {
        return readFileSync(join(dir, p), 'utf8')
      } catch {
        return undefined
      }
    }
  }
}

function parseProcfile(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim())
    if (m) out[m[1] as string] = m[2] as string
  }
  return out
}

/** The image a git:from-image Dockerfile names, if the tree is one. */
export function imageFromDockerfile(text: string | undefined): string | undefined {
  if (!text) return undefined
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  if (lines.length !== 2 || !lines[1]?.startsWith('LABEL com.dokku.docker-image-labeler/alternate-tags=')) return undefined
  const m = /^FROM (\S+)$/.exec(lines[0] ?? '')
  return m?.[1]
}

async function buildFromRev(ctx: Ctx, app: string, rev: string, gitEnv?: NodeJS.ProcessEnv): Promise<number> {
  const tree = extractTree(ctx, app, rev, gitEnv)
  try {
    const state = loadApp(ctx, app)
    const global = loadGlobal(ctx)
    if (prop(state, 'builder', 'skip-cleanup') !== 'true' && prop(global, 'builder', 'skip-cleanup') !== 'true') ctx.info1('Cleaning up...')
    const dockerfile = tree.has('Dockerfile')
    const builder = prop(state, 'builder', 'selected') || prop(global, 'builder', 'selected') || (dockerfile ? 'dockerfile' : 'herokuish')
    const image = imageFromDockerfile(tree.read('Dockerfile'))
    ctx.info1(`Building ${app} from ${builder === 'dockerfile' ? 'Dockerfile' : builder}`)
    // test knob: a slow build, so that tests can collide two deploys deterministically
    // (an image deploy asks for one with `build-seconds-<n>` in the image reference)
    const seconds = Math.min(30, Number(tree.read('.sandbox/build-seconds') ?? /build-seconds-(\d+)/.exec(image ?? '')?.[1] ?? '0') || 0)
    if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000))
    // test knob: a build that runs until a file (its path in `.sandbox/build-until`) exists, so that a
    // test decides when it ends instead of racing a fixed duration (at most 5 minutes)
    const until = tree.read('.sandbox/build-until')?.trim()
    for (let waited = 0; until && !existsSync(until) && waited < 300_000; waited += 100) await new Promise((r) => setTimeout(r, 100))
    // The same for an image (whose reference cannot carry a path): an image named `…build-hold-<token>…`
    // builds only while <sandbox>/tmp/build-hold-<token> does not exist, so a test deploys it at once,
    // then holds a rebuild of it for as long as it needs (at most 5 minutes).
    const hold = /build-hold-([a-z0-9]+)/.exec(image ?? '')?.[1]
    const holdFile = hold ? ctx.path('tmp', `build-hold-${hold}`) : undefined
    for (let waited = 0; holdFile && existsSync(holdFile) && waited < 300_000; waited += 100) await new Promise((r) => setTimeout(r, 100))
    if (tree.has('.sandbox/fail-build') || (image ?? '').includes('fail-build')) {
      if (state.release) ctx.warn(`Retagging old image ${state.release.sha.slice(0, 12)} as dokku/${app}:latest`)
      else ctx.warn(`Removing invalid image tag dokku/${app}:latest`)
      ctx.warn('App build failed')
      return 1
    }
    let healthPath: string | undefined
    try {
      const appJson = JSON.parse(tree.read('app.json') ?? '{}') as { healthchecks?: { web?: Array<{ path?: string }> } }
      healthPath = appJson.healthchecks?.web?.find((c) => typeof c.path === 'string')?.path
    } catch {
      // an invalid app.json is ignored here
    }
    const release: Release = {
      deployed: image ?? rev,
      sha: rev,
      image,
      unhealthy: image ? image.includes('unhealthy') : tree.has('.sandbox/unhealthy'),
      procfile: parseProcfile(tree.read('Procfile')),
      dockerfile,
      healthPath
    }
    const workdir = join(appStateDir(ctx, app), 'release')
    rmSync(workdir, { recursive: true, force: true })
    cpSync(tree.dir, workdir, { recursive: true })
    updateApp(ctx, app, (s) => {
      s.release = release
      setProp(s, 'builder', 'detected', builder)
      if (Object.keys(s.scale).length === 0) {
        const types = Object.keys(release.procfile)
        s.scale = types.length > 0 ? Object.fromEntries(types.map((t) => [t, t === 'web' ? 1 : 0])) : { web: 1 }
      }
      if (s.portsDetected.length === 0) s.portsDetected = ['http:80:5000']
    })
    return await releaseAndDeploy(ctx, app, 'deploy')
  } finally {
    rmSync(tree.dir, { recursive: true, force: true })
  }
}

// ---- release_and_deploy --------------------------------------------------------------------

export async function releaseAndDeploy(ctx: Ctx, app: string, source: string): Promise<number> {
  startBuildCapture(ctx, app, source)
  const state = loadApp(ctx, app)
  const global = loadGlobal(ctx)
  let code = 0
  if (state.release) {
    ctx.info1(`Releasing ${app}...`)
    ctx.info1('Checking for predeploy task')
    ctx.verbose('No predeploy task found, skipping')
    const skip = (prop(state, 'ps', 'skip-deploy') || prop(global, 'ps', 'skip-deploy')) === 'true'
    if (!skip) {
      ctx.info1(`Deploying ${app} via the docker-local scheduler...`)
      code = await schedulerDeploy(ctx, app)
      if (code === 0) {
        ctx.info2('Application deployed:')
        const port = readContainer(ctx, app)?.port
        for (const url of appUrls(ctx, loadApp(ctx, app), port)) ctx.verbose(url)
      }
    } else ctx.info1('Skipping deployment')
    ctx.out('')
  }
  finalizeBuild(ctx, app, code)
  return code
}

export interface ContainerInfo {
  port: number
  pid: number
  deployed: string
  name: string
  checkPort: number
}

export function containerLog(ctx: Ctx, app: string, name: string): string {
  return join(appStateDir(ctx, app), 'logs', `${name}.log`)
}

export function containerFile(ctx: Ctx, app: string): string {
  return join(appStateDir(ctx, app), 'container.json')
}

export function readContainer(ctx: Ctx, app: string): ContainerInfo | undefined {
  const info = readJson<ContainerInfo | undefined>(containerFile(ctx, app), undefined)
  return info
}

export function containerRunning(ctx: Ctx, app: string): boolean {
  const info = readContainer(ctx, app)
  return info !== undefined && info.pid > 0 && pidAlive(info.pid)
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function stablePort(ctx: Ctx, app: string): Promise<number> {
  const file = ctx.path('state', 'ports', app)
  try {
    const port = Number(readFileSync(file, 'utf8').trim())
    if (port > 0) return port
  } catch {
    // not reserved yet
  }
  const port = await freePort()
  return withMutex(ctx, () => {
    try {
      const existing = Number(readFileSync(file, 'utf8').trim())
      if (existing > 0) return existing
    } catch {
      // allocate below
    }
    writeFileShared(file, `${port}\n`)
    return port
  })
}

export function appEnv(ctx: Ctx, state: AppState): Record<string, string> {
  assertEnvReadable(ctx, state)
  return { ...loadGlobal(ctx).env, ...state.env }
}

function containerEnv(ctx: Ctx, app: string, state: AppState, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...appEnv(ctx, state),
    PORT: String(port),
    DOKKU_SANDBOX_APP: app
  }
}

export async function startContainer(ctx: Ctx, app: string, state: AppState, release: Release): Promise<ContainerInfo | undefined> {
  const port = await stablePort(ctx, app)
  const name = `app-${app}-web-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`
  mkdirShared(ctx.path('run'))
  mkdirShared(join(appStateDir(ctx, app), 'logs'))
  const logPath = containerLog(ctx, app, name)
  const logFd = openSync(logPath, 'a', 0o666)
  const standIn = standInFor(ctx, app, state)
  const script = standIn?.script ?? new URL('../container.ts', import.meta.url).pathname
  const child = spawn(ctx.config.node || process.execPath, ['--no-warnings', script, ctx.root, name, String(port), release.deployed, release.unhealthy ? '0' : '1'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...containerEnv(ctx, app, state, port), ...standIn?.env },
    cwd: join(appStateDir(ctx, app))
  })
  closeSync(logFd)
  let exited = false
  child.on('exit', () => (exited = true))
  child.unref()
  writeFileShared(ctx.path('run', `${name}.pid`), String(child.pid))
  const readyFile = ctx.path('run', `${name}.ready`)
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline && !exited) {
    if (existsSync(readyFile)) {
      const ready = readJson<{ pid: number; checkPort: number } | undefined>(readyFile, undefined)
      if (ready) return { port, pid: ready.pid, deployed: release.deployed, name, checkPort: ready.checkPort }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  if (child.pid && !exited) process.kill(child.pid, 'SIGKILL')
  rmSync(ctx.path('run', `${name}.pid`), { force: true })
  return undefined
}

export function stopContainer(ctx: Ctx, info: ContainerInfo | undefined): void {
  if (!info || !(info.pid > 0)) return
  try {
    process.kill(info.pid, 'SIGTERM')
  } catch {
    // already gone
  }
  const deadline = Date.now() + 5000
  while (pidAlive(info.pid) && Date.now() < deadline) sleepMs(10)
  if (pidAlive(info.pid)) {
    try {
      process.kill(info.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  rmSync(ctx.path('run', `${info.name}.pid`), { force: true })
  rmSync(ctx.path('run', `${info.name}.ready`), { force: true })
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.on('timeout', () => {
      req.destroy()
      resolve(0)
    })
    req.end()
  })
}

/** scheduler-docker-local deploy: one web container, others only counted. */
async function schedulerDeploy(ctx: Ctx, app: string): Promise<number> {
  const state = loadApp(ctx, app)
  const global = loadGlobal(ctx)
  const release = state.release as Release
  const wait = waitToRetire(state, global)
  const scale = Object.keys(state.scale).length > 0 ? state.scale : { web: 1 }
  updateApp(ctx, app, (s) => (s.failedContainers = []))
  let old = readContainer(ctx, app)
  if (old && !pidAlive(old.pid)) old = undefined
  let retireOld = false
  for (const [type, count] of Object.entries(scale)) {
    if (!(count > 0)) continue
    ctx.info1(`Deploying ${type} (count=${count})`)
    if (type !== 'web') continue
    if (old && checksDisabled(state, 'web')) {
      stopContainer(ctx, old)
      old = undefined
    }
    const started = await startContainer(ctx, app, state, release)
    if (!started) {
      ctx.warn('Could not start due to 1 failed checks (web.1)')
      return 1
    }
    if (!checksDisabled(state, 'web')) {
      ctx.verbose('Attempting pre-flight checks (web.1)')
      if (release.healthPath) {
        const status = await httpStatus(started.checkPort, release.healthPath)
        if (status < 200 || status >= 400) {
          ctx.err(`Failure in name='${release.healthPath}': unexpected status code ${status}`)
          stopContainer(ctx, started)
          updateApp(ctx, app, (s) => s.failedContainers.push(`${started.name} web.1`))
          ctx.warn('Could not start due to 1 failed checks (web.1)')
          return 1
        }
      }
      ctx.verbose('All checks successful (web.1)')
    }
    if (old) {
      ctx.verbose(`Scheduling old container shutdown in ${wait} seconds (web.1)`)
      retireOld = true
    }
    writeFileShared(containerFile(ctx, app), JSON.stringify(started))
  }
  ctx.info1('Running post-deploy')
  const fresh = loadApp(ctx, app)
  if (proxyEnabled(fresh) && vhostEnabled(fresh) && (fresh.vhosts ?? []).length > 0) {
    const type = proxyType(fresh, global)
    if (type === 'caddy') ctx.info1('Routing app via caddy')
    else if (type === 'nginx') {
      ctx.info1(`Configuring ${(fresh.vhosts ?? []).join(',')}...(using built-in template)`)
      ctx.info1('Creating http nginx.conf')
      ctx.verbose('Reloading nginx')
    }
  }
  ctx.info1('Checking for postdeploy task')
  ctx.verbose('No postdeploy task found, skipping')
  if (retireOld) {
    ctx.info1(`Shutting down old containers in ${wait} seconds`)
    stopContainer(ctx, old)
  }
  updateApp(ctx, app, (s) => {
    s.deployed = true
    s.running = true
  })
  return 0
}
