// The per-invocation context of the Dokku simulator: where the sandbox lives, which Dokku
// version it plays, the global flags (parsed like dokku's `parse_args`), and the two output
// streams with Dokku's log helpers. Output is written synchronously so that the order of
// stdout and stderr lines is what a bash script would produce, and nothing is lost on exit.
import { appendFileSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export type DokkuVersion = '0.38.27' | '0.37.5'

export interface SandboxConfig {
  dokkuVersion: DokkuVersion
  plugins: string[]
  globalDomain: string
  postgres?: { host: string; port: number; adminUser: string }
  node: string
  repo: string
}

/** Thrown to end the command with an exit code (like `exit N` in a plugin script). */
export class Exit extends Error {
  readonly code: number
  constructor(code: number) {
    super(`exit ${code}`)
    this.code = code
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)
  for (let attempts = 0; buf.length > 0; ) {
    try {
      const n = writeSync(fd, buf)
      buf = buf.subarray(n)
      attempts = 0
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EAGAIN' && attempts++ < 10_000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
        continue
      }
      if (code === 'EPIPE') return
      throw error
    }
  }
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export class Ctx {
  readonly root: string
  readonly config: SandboxConfig
  quiet: boolean
  readonly trace: boolean
  readonly force: boolean
  readonly appFlag: string | undefined
  /** every `--flag` seen anywhere on the command line (DOKKU_GLOBAL_FLAGS) */
  readonly globalFlags: string[]
  /** build capture (0.38+): stderr is merged onto stdout and everything is teed to the build log */
  private captureLog: string | undefined
  private merged = false

  constructor(root: string, config: SandboxConfig, argv: string[]) {
    this.root = root
    this.config = config
    let quiet = false
    let trace = false
    let force = false
    let app: string | undefined
    const flags: string[] = []
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string
      if (arg === '--quiet') quiet = true
      else if (arg === '--trace') trace = true
      else if (arg === '--force') force = true
      if (arg === '--app') {
        app = argv[i + 1] ?? ''
        flags.push(`--app=${app}`)
        i++
        continue
      }
      if (arg.startsWith('--')) flags.push(arg)
    }
    this.quiet = quiet || process.env.DOKKU_QUIET_OUTPUT === '1'
    this.trace = trace
    this.force = force || process.env.DOKKU_APPS_FORCE_DELETE === '1'
    this.appFlag = app
    this.globalFlags = flags
  }

  get version(): DokkuVersion {
    return this.config.dokkuVersion
  }

  /** true when the simulated Dokku is at least the given version */
  atLeast(version: string): boolean {
    return compareVersions(this.config.dokkuVersion, version) >= 0
  }

  hasPlugin(name: string): boolean {
    return this.config.plugins.includes(name) || this.installedPlugins().includes(name)
  }

  installedPlugins(): string[] {
    try {
      return JSON.parse(readFileSync(join(this.root, 'state', 'plugins.json'), 'utf8')) as string[]
    } catch {
      return []
    }
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts)
  }

  // ---- streams -------------------------------------------------------------------------
  stdout(text: string | Uint8Array): void {
    writeAll(1, text)
    if (this.captureLog !== undefined) appendFileSync(this.captureLog, text)
  }

  stderr(text: string | Uint8Array): void {
    if (this.merged) {
      this.stdout(text)
      return
    }
    writeAll(2, text)
  }

  /** Starts the 0.38 build capture (no-op before 0.38): from here stderr goes to stdout. */
  startCapture(logFile: string | undefined): void {
    if (!this.atLeast('0.38.0')) return
    if (this.merged) return
    this.merged = true
    this.captureLog = logFile
    process.env.DOKKU_REDIRECT_OUTPUT = 'true'
  }

  get capturing(): boolean {
    return this.merged
  }

  /** a plain line on stdout */
  out(line: string): void {
    this.stdout(`${line}\n`)
  }

  /** a plain line on stderr */
  err(line: string): void {
    this.stderr(`${line}\n`)
  }

  info1(text: string): void {
    this.out(`-----> ${text}`)
  }

  info1Quiet(text: string): void {
    if (!this.quiet) this.info1(text)
  }

  info2(text: string): void {
    this.out(`=====> ${text}`)
  }

  info2Quiet(text: string): void {
    if (!this.quiet) this.info2(text)
  }

  verbose(text: string): void {
    this.out(`       ${text}`)
  }

  verboseQuiet(text: string): void {
    if (!this.quiet) this.verbose(text)
  }

  warn(text: string): void {
    this.err(` !     ${text}`)
  }

  warnQuiet(text: string): void {
    if (!this.quiet) this.warn(text)
  }

  /** Go LogExclaim: ` !     ` on stdout */
  exclaim(text: string): void {
    this.out(` !     ${text}`)
  }

  /** dokku_log_fail / Go LogFail: ` !     TEXT` on stderr, then exit */
  fail(text: string, code = 1): never {
    this.warn(text)
    throw new Exit(code)
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
