// State of the simulated Dokku host, kept as JSON files under <root>/state/ and changed
// read-modify-write under a short mkdir-based mutex (stale holders are detected by PID).
// Files are world-writable because root and the dokku user both run the simulator.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sleepMs } from './ctx.ts'
import type { Ctx } from './ctx.ts'

export interface Attachment {
  entry: string
  containerDir: string
  phases?: string
  processType?: string
  subpath?: string
  readonly?: boolean
  volumeOptions?: string
  chown?: string
}

export interface Release {
  /** commit sha (git deploys) or image reference (image deploys) reported by the container */
  deployed: string
  sha: string
  image?: string
  unhealthy: boolean
  procfile: Record<string, string>
  dockerfile: boolean
  healthPath?: string
}

export interface AppState {
  createdAt: number
  props: Record<string, Record<string, string>>
  env: Record<string, string>
  vhosts: string[] | null
  ports: string[]
  portsDetected: string[]
  dockerOptions: Record<'build' | 'deploy' | 'run', string[]>
  /** `docker-options:add --process P` (0.38+): deploy-phase options scoped to one process type */
  dockerOptionsProcess?: Record<string, string[]>
  storage: string[]
  attachments: Attachment[]
  caddyLabels: Record<string, string>
  resource: Record<string, string>
  scale: Record<string, number>
  deployed: boolean
  running: boolean
  release?: Release
  failedContainers: string[]
  /** godotenv's error when the app's ENV file no longer parses (core/envfile.ts): every config read fails with it. */
  envFileError?: string
}

export interface StorageEntry {
  name: string
  path: string
  chown: string
  mode?: string
  reclaimPolicy: string
}

export interface GlobalState {
  props: Record<string, Record<string, string>>
  env: Record<string, string>
  vhosts: string[]
  networks: Record<string, { id: string; createdAt: string }>
  storageEntries: Record<string, StorageEntry>
}

export function emptyApp(): AppState {
  return {
    createdAt: Math.floor(Date.now() / 1000),
    props: {},
    env: {},
    vhosts: null,
    ports: [],
    portsDetected: [],
    dockerOptions: { build: [], deploy: [], run: [] },
    storage: [],
    attachments: [],
    caddyLabels: {},
    resource: {},
    scale: {},
    deployed: false,
    running: false,
    failedContainers: []
  }
}

export function writeFileShared(path: string, data: string | Uint8Array): void {
  mkdirShared(dirname(path))
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data, { mode: 0o666 })
  chmodSync(tmp, 0o666)
  renameSync(tmp, path)
}

export function mkdirShared(path: string): void {
  if (existsSync(path)) return
  mkdirShared(dirname(path))
  try {
    mkdirSync(path, { mode: 0o777 })
    chmodSync(path, 0o777)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

export function readJson<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return fallback
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

let mutexDepth = 0

/** Runs fn holding the state mutex (re-entrant within one process; never hold it across a deploy). */
export function withMutex<T>(ctx: Ctx, fn: () => T): T {
  if (mutexDepth > 0) {
    mutexDepth++
    try {
      return fn()
    } finally {
      mutexDepth--
    }
  }
  const dir = ctx.path('state', '.mutex')
  mkdirShared(ctx.path('state'))
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      mkdirSync(dir, { mode: 0o777 })
      chmodSync(dir, 0o777)
      writeFileSync(join(dir, 'pid'), String(process.pid), { mode: 0o666 })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let holder = NaN
      try {
        holder = Number(readFileSync(join(dir, 'pid'), 'utf8'))
      } catch {
        // the holder has not written its pid yet, or just released
      }
      let age: number
      try {
        age = Date.now() - statSync(dir).mtimeMs
      } catch {
        continue
      }
      if ((Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) || age > 10_000 || Date.now() > deadline) {
        rmSync(dir, { recursive: true, force: true })
        continue
      }
      sleepMs(3)
    }
  }
  mutexDepth = 1
  try {
    return fn()
  } finally {
    mutexDepth = 0
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- apps ------------------------------------------------------------------------------

export function appDir(ctx: Ctx, app: string): string {
  return ctx.path('home', app)
}

export function appStateDir(ctx: Ctx, app: string): string {
  return ctx.path('state', 'apps', app)
}

export function appExists(ctx: Ctx, app: string): boolean {
  if (app === '' || app.includes('/')) return false
  try {
    return statSync(appDir(ctx, app)).isDirectory()
  } catch {
    return false
  }
}

export function listApps(ctx: Ctx): string[] {
  let names: string[]
  try {
    names = readdirSync(ctx.path('home'))
  } catch {
    return []
  }
  return names
    .filter((n) => !/^[A-Z.]/.test(n) && appExists(ctx, n))
    .sort()
}

export function loadApp(ctx: Ctx, app: string): AppState {
  return { ...emptyApp(), ...readJson<Partial<AppState>>(join(appStateDir(ctx, app), 'app.json'), {}) }
}

export function saveApp(ctx: Ctx, app: string, state: AppState): void {
  writeFileShared(join(appStateDir(ctx, app), 'app.json'), JSON.stringify(state, null, 1))
}

export function updateApp<T>(ctx: Ctx, app: string, fn: (state: AppState) => T): T {
  return withMutex(ctx, () => {
    const state = loadApp(ctx, app)
    const result = fn(state)
    saveApp(ctx, app, state)
    return result
  })
}

// ---- global ----------------------------------------------------------------------------

export function loadGlobal(ctx: Ctx): GlobalState {
  const fallback: GlobalState = {
    props: {},
    env: {},
    vhosts: ctx.config.globalDomain ? [ctx.config.globalDomain] : [],
    networks: {},
    storageEntries: {}
  }
  return { ...fallback, ...readJson<Partial<GlobalState>>(ctx.path('state', 'global.json'), {}) }
}

export function updateGlobal<T>(ctx: Ctx, fn: (state: GlobalState) => T): T {
  return withMutex(ctx, () => {
    const state = loadGlobal(ctx)
    const result = fn(state)
    writeFileShared(ctx.path('state', 'global.json'), JSON.stringify(state, null, 1))
    return result
  })
}

// ---- properties ------------------------------------------------------------------------

export function prop(state: { props: Record<string, Record<string, string>> }, plugin: string, key: string): string | undefined {
  return state.props[plugin]?.[key]
}

export function setProp(state: { props: Record<string, Record<string, string>> }, plugin: string, key: string, value: string | undefined): void {
  const bucket = (state.props[plugin] ??= {})
  if (value === undefined) delete bucket[key]
  else bucket[key] = value
}

export function randomHex(bytes: number): string {
  let out = ''
  for (let i = 0; i < bytes; i++) out += Math.floor(Math.random() * 256).toString(16).padStart(2, '0')
  return out
}
