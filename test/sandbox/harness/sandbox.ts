// The sandbox host: one temporary directory holding a real OpenSSH server with Dokku's
// forced-command login, the Dokku simulator as the `dokku` command, a throwaway PostgreSQL 15
// cluster for the postgres plugin, and an S3 server behind a recording proxy.
//
//   const sandbox = await startSandbox()
//   await sandbox.ssh('dokku', 'apps:list')           // real ssh, pinned host key
//   await sandbox.stop()                              // every process ended, directory removed
//
// Layout of <root> (mkdtemp under os.tmpdir(), 0755):
//   bin/dokku        the simulator's entry script (test/sandbox/simulator/dokku-entry.sh)
//   simulator/       a copy of test/sandbox/simulator/: the dokku user may not enter the checkout
//   env              NODE_COMPILE_CACHE and DOKKU_SANDBOX_EXEC=(/var/lib/dokku-stack-sandbox/node-vX --no-warnings <root>/simulator/main.ts)
//   .sshcommand      <root>/bin/dokku, read by the dokku user's forced command
//   sandbox.json     what the simulator needs to know (version, plugins, postgres, node, repo)
//   state/ home/ services/ run/ storage/   the simulator's, writable by the dokku user
//   tmp/             the simulator's temporary build directories (its TMPDIR): gone with stop()
//   keys/            client key pairs (dokku, root); known_hosts (the pinned host key)
//   sshd/            the OpenSSH server's config, host key, authorized_keys, log
//   pg/ pg-socket/   the PostgreSQL cluster and its socket
//   s3/              fauxqs's files; s3-requests.jsonl the recorded requests
//   logs/            postgres.log, s3.log
//   owner.json       pid of the owning process, for the clean-up of abandoned sandboxes
//   watchdog.pid     the watchdog that cleans up if the owner dies without stop() (watchdog.ts)
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startPostgres, type Postgres } from './postgres.ts'
import { freePort } from './ports.ts'
import { isRunning, killSandboxProcesses, killSandboxProcessesSync, processStartTime, registerEmergencyCleanup, sleep } from './processes.ts'
import { readRecordedRequests, type RecordedRequest } from './recording-proxy.ts'
import { copyReadableTree, modulesForEveryUser, nodeForEveryUser } from './runtime.ts'
import { S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY, startS3, type S3Server } from './s3.ts'
import { ensureUnixUser, generateKeyPair, startSshd, type KeyPair, type Sshd } from './sshd.ts'

export type { RecordedRequest } from './recording-proxy.ts'

const run = promisify(execFile)

export type DokkuVersion = '0.38.27' | '0.37.5'
export type SandboxPlugin = 'postgres' | 'redis'
export type SandboxUserName = 'dokku' | 'root'

export interface SandboxOptions {
  /** Default '0.38.27'. */
  dokkuVersion?: DokkuVersion
  /** Dokku plugins installed on the host; default both. */
  plugins?: SandboxPlugin[]
  /** The simulator's main module, readable by the dokku user; default a copy of test/sandbox/simulator/main.ts. */
  simulatorMain?: string
}

export const SANDBOX_DIR_PREFIX = 'dokku-sandbox-'
export const GLOBAL_DOMAIN = 'sandbox.test'
const DOKKU_USER = 'dokku'
/** Where the simulator writes, as root or as the dokku user: owned by dokku, mode 0777. */
export const SIMULATOR_DIRS = ['state', 'state/ports', 'home', 'services', 'run', 'storage', 'tmp', 'caddy', 'compile-cache'] as const
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '')

/** Everything about a running sandbox that survives JSON (vitest `provide`, another process). */
export interface SandboxInfo {
  root: string
  host: '127.0.0.1'
  port: number
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA…` */
  knownHostsLine: string
  /** A known_hosts file holding exactly knownHostsLine. */
  knownHostsPath: string
  /** `SHA256:…` of the host key. */
  hostKeyFingerprint: string
  dokkuVersion: DokkuVersion
  plugins: SandboxPlugin[]
  globalDomain: string
  users: Record<SandboxUserName, { user: SandboxUserName; privateKeyPath: string; publicKey: string; fingerprint: string }>
  postgres: { host: '127.0.0.1'; port: number; socketDir: string; adminUser: string; adminPassword: string; adminUrl: string; adminSocketUrl: string }
  /** `postgres://dokku:PASSWORD@127.0.0.1:PORT/postgres` (superuser). */
  postgresAdminUrl: string
  s3: {
    /** The recording proxy by host name (`http://localhost:PORT`): the client picks the addressing style. */
    endpoint: string
    /** The recording proxy by IP; S3 SDKs always use path-style for IP endpoints. */
    endpointIp: string
    /** fauxqs directly, not recorded: for test setup that must not show up in requests(). */
    directEndpoint: string
    accessKeyId: string
    secretAccessKey: string
    region: string
    requestLogPath: string
  }
  /** The process that owns the sandbox (only it can stop it). */
  ownerPid: number
}

export interface SshResult {
  code: number
  stdout: string
  stderr: string
  /** stdout as bytes, for binary output (postgres:export). */
  stdoutBuffer: Buffer
}

export interface SshOptions {
  stdin?: Buffer | string
  /** Default 60 s; on expiry the ssh client is killed and the promise rejects. */
  timeoutMs?: number
}

export interface Sandbox {
  root: string
  host: '127.0.0.1'
  port: number
  knownHostsLine: string
  knownHostsPath: string
  hostKeyFingerprint: string
  dokkuVersion: DokkuVersion
  plugins: SandboxPlugin[]
  users: Record<SandboxUserName, { user: SandboxUserName; privateKeyPath: string; privateKey: string; publicKey: string; fingerprint: string }>
  postgresAdminUrl: string
  postgres: SandboxInfo['postgres']
  s3: SandboxInfo['s3'] & { requests(): RecordedRequest[]; clearRequests(): void }
  /** Serializable description, e.g. for vitest `provide` (see connectSandbox). */
  info: SandboxInfo
  /** Runs `ssh USER@127.0.0.1 -p PORT COMMAND` with the real OpenSSH client (no -t). */
  ssh(user: SandboxUserName, command: string, options?: SshOptions): Promise<SshResult>
  /** process.env plus GIT_SSH_COMMAND pinned to the host key and the dokku key, for real `git push`. */
  gitEnv(): NodeJS.ProcessEnv
  /** `ssh://dokku@127.0.0.1:PORT/APP` */
  remoteUrl(app: string): string
  /** The port the simulator runs APP's web process on: allocated once, kept in state/ports/APP. */
  reserveAppPort(app: string): Promise<number>
  /** `http://127.0.0.1:<reserved port>` */
  appUrl(app: string): Promise<string>
  /** The real database URL behind a simulated postgres service (services/postgres/SVC/REAL_URL). */
  realPostgresUrl(service: string): Promise<string>
  /** The real Redis URL behind a simulated redis service (services/redis/SVC/REAL_URL). */
  realRedisUrl(service: string): Promise<string>
  /** Ends every process of the sandbox and removes its directory; safe to call twice. No-op on a connected handle. */
  stop(): Promise<void>
}

// ---- start -----------------------------------------------------------------------------

let userReady: Promise<void> | undefined

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (process.getuid?.() !== 0) throw new Error('the sandbox host needs root (sshd, a second Unix user, initdb through setpriv)')
  const dokkuVersion = options.dokkuVersion ?? '0.38.27'
  const plugins = [...(options.plugins ?? ['postgres', 'redis'])]
  const entryScript = join(REPO_ROOT, 'test', 'sandbox', 'simulator', 'dokku-entry.sh')
  const node = node24()

  await cleanAbandonedSandboxes()
  const root = await mkdtemp(join(tmpdir(), SANDBOX_DIR_PREFIX))
  await chmod(root, 0o755)
  await writeFile(join(root, 'owner.json'), JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }))
  const watchdog = startWatchdog(root, node)

  // Until stop() is set up, a failure must still leave nothing behind.
  const pending: { sshd?: Sshd; postgres?: Postgres; s3?: S3Server } = {}
  const runDir = join(root, 'run')
  const unregister = registerEmergencyCleanup(() => emergencyStop(root, runDir, pending))
  try {
    userReady ??= ensureUnixUser(DOKKU_USER)
    await userReady
    const { uid, gid } = await unixIds(DOKKU_USER)

    // The simulator's directories: root and the dokku user both run it (C's store writes 0666/0777).
    for (const dir of [...SIMULATOR_DIRS, 'logs', 'keys', 'bin', 'sshd']) {
      await mkdir(join(root, dir), { recursive: true })
    }
    for (const dir of SIMULATOR_DIRS) {
      chownSync(join(root, dir), uid, gid)
      chmodSync(join(root, dir), 0o777)
    }
    await chmod(join(root, 'keys'), 0o700)
    await copyFile(entryScript, join(root, 'bin', 'dokku'))
    await chmod(join(root, 'bin', 'dokku'), 0o755)
    // The dokku user runs the simulator, and may not be able to enter the checkout (a clone under /root).
    const simulatorNode = await nodeForEveryUser(node)
    let simulatorMain = options.simulatorMain
    if (simulatorMain === undefined) {
      await copyReadableTree(join(REPO_ROOT, 'test', 'sandbox', 'simulator'), join(root, 'simulator'))
      // The SeaweedFS stand-in imports the harness's SigV4 verifier (../harness/sigv4-verify.ts) and
      // fauxqs: without them beside the copy every seaweed-provision deploy failed to start. fauxqs
      // comes from a node_modules the dokku user can read wherever the checkout is.
      await mkdir(join(root, 'harness'), { recursive: true, mode: 0o755 })
      await chmod(join(root, 'harness'), 0o755)
      await copyFile(join(REPO_ROOT, 'test', 'sandbox', 'harness', 'sigv4-verify.ts'), join(root, 'harness', 'sigv4-verify.ts'))
      await chmod(join(root, 'harness', 'sigv4-verify.ts'), 0o644)
      await symlink(await modulesForEveryUser(realpathSync(join(REPO_ROOT, 'node_modules')), join(REPO_ROOT, 'package-lock.json')), join(root, 'node_modules'))
      simulatorMain = join(root, 'simulator', 'main.ts')
    }
    // Every Dokku command is a fresh node process; with V8's compile cache one starts in about a third of
    // the time (0.07 s instead of 0.21 s measured here), and a deploy sends dozens of them.
    await writeFile(
      join(root, 'env'),
      `export NODE_COMPILE_CACHE=${shellQuote(join(root, 'compile-cache'))}\nDOKKU_SANDBOX_EXEC=(${[simulatorNode, '--no-warnings', simulatorMain].map(shellQuote).join(' ')})\n`,
      { mode: 0o644 }
    )
    await writeFile(join(root, '.sshcommand'), `${join(root, 'bin', 'dokku')}\n`, { mode: 0o644 })

    const [dokkuKey, rootKey] = await Promise.all([
      generateKeyPair(join(root, 'keys'), { name: 'dokku' }),
      generateKeyPair(join(root, 'keys'), { name: 'root' })
    ])
    // Every server carries the sandbox's marker, so the /proc sweep at stop() finds it for sure.
    const env = { ...process.env, DOKKU_SANDBOX_ROOT: root }
    // allSettled: on a failure, whatever did start is in `pending` before the clean-up below runs.
    const started = await Promise.allSettled([
      startPostgres({ dir: join(root, 'pg'), socketDir: join(root, 'pg-socket'), user: DOKKU_USER, logPath: join(root, 'logs', 'postgres.log'), env }).then((p) => (pending.postgres = p)),
      startS3({ node, storageDir: join(root, 's3'), requestLogPath: join(root, 's3-requests.jsonl'), logPath: join(root, 'logs', 's3.log'), env }).then((s) => (pending.s3 = s)),
      startSshd({
        root: join(root, 'sshd'),
        permitUserEnvironment: 'PATH',
        users: [
          { name: DOKKU_USER, authorizedKeys: [dokkuAuthorizedKey(root, dokkuKey)] },
          { name: 'root', authorizedKeys: [`environment="PATH=${join(root, 'bin')}:${SYSTEM_PATH}" ${rootKey.publicKey}`] }
        ]
      }).then((s) => (pending.sshd = s))
    ])
    const failure = started.find((r) => r.status === 'rejected')
    if (failure) throw failure.reason
    const [postgres, s3, sshd] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [Postgres, S3Server, Sshd]

    await writeFile(
      join(root, 'sandbox.json'),
      `${JSON.stringify(
        {
          dokkuVersion,
          plugins,
          globalDomain: GLOBAL_DOMAIN,
          postgres: { host: postgres.socketDir, port: postgres.port, adminUser: postgres.adminUser, tcpHost: '127.0.0.1' },
          node: simulatorNode,
          repo: REPO_ROOT
        },
        null,
        2
      )}\n`,
      { mode: 0o644 }
    )
    const hostKeyIndex = Math.max(0, sshd.hostKeys.findIndex((k) => k.type === 'ssh-ed25519'))
    const hostKey = sshd.hostKeys[hostKeyIndex]
    const knownHostsLine = sshd.knownHostsLines[hostKeyIndex]
    if (!hostKey || !knownHostsLine) throw new Error('sshd reported no host key')
    const knownHostsPath = join(root, 'known_hosts')
    await writeFile(knownHostsPath, `${knownHostsLine}\n`, { mode: 0o644 })

    const info: SandboxInfo = {
      root,
      host: '127.0.0.1',
      port: sshd.port,
      knownHostsLine,
      knownHostsPath,
      hostKeyFingerprint: hostKey.fingerprint,
      dokkuVersion,
      plugins,
      globalDomain: GLOBAL_DOMAIN,
      users: {
        dokku: { user: 'dokku', privateKeyPath: dokkuKey.privateKeyPath, publicKey: dokkuKey.publicKey, fingerprint: dokkuKey.fingerprint },
        root: { user: 'root', privateKeyPath: rootKey.privateKeyPath, publicKey: rootKey.publicKey, fingerprint: rootKey.fingerprint }
      },
      postgres: {
        host: '127.0.0.1',
        port: postgres.port,
        socketDir: postgres.socketDir,
        adminUser: postgres.adminUser,
        adminPassword: postgres.adminPassword,
        adminUrl: postgres.adminUrl,
        adminSocketUrl: postgres.adminSocketUrl
      },
      postgresAdminUrl: postgres.adminUrl,
      s3: {
        endpoint: s3.endpoint,
        endpointIp: s3.endpointIp,
        directEndpoint: s3.directEndpoint,
        accessKeyId: S3_ACCESS_KEY_ID,
        secretAccessKey: S3_SECRET_ACCESS_KEY,
        region: S3_REGION,
        requestLogPath: join(root, 's3-requests.jsonl')
      },
      ownerPid: process.pid
    }

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        try {
          await orderlyStop(root, runDir, pending)
        } finally {
          unregister()
          releaseWatchdog(watchdog)
        }
      })()
      return stopping
    }
    return buildSandbox(info, { privateKeys: { dokku: dokkuKey.privateKey, root: rootKey.privateKey }, stop })
  } catch (error) {
    try {
      await orderlyStop(root, runDir, pending)
    } finally {
      unregister()
      releaseWatchdog(watchdog)
    }
    throw error
  }
}

/**
 * The watchdog (watchdog.ts): in a session of its own, so that a signal to the owner's process
 * group does not take it along, and with its stdin a pipe only this process holds. The kernel
 * closes the pipe when this process ends, SIGKILL included, and the watchdog then ends whatever
 * of the sandbox is left. The parent-death signal reaches only the servers this process started
 * itself; sshd's sessions, the simulator's commands and background processes outlived a killed
 * owner until some later sandbox started (never, at the end of a test run).
 */
function startWatchdog(root: string, node: string): ChildProcess {
  const { DOKKU_SANDBOX_ROOT: _inherited, ...env } = process.env
  const child = spawn(node, ['--no-warnings', join(REPO_ROOT, 'test', 'sandbox', 'harness', 'watchdog.ts')], {
    cwd: '/',
    env: { ...env, SANDBOX_WATCHDOG_ROOT: root },
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore']
  })
  child.once('error', () => undefined)
  child.stdin?.on('error', () => undefined)
  // Neither the child nor the pipe may keep this process alive: the pipe must close when it ends.
  child.unref()
  ;(child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.()
  if (child.pid) writeFileSync(join(root, 'watchdog.pid'), `${child.pid}\n`)
  return child
}

/** After a complete stop: the watchdog reads EOF, finds the directory gone and exits. */
function releaseWatchdog(watchdog: ChildProcess): void {
  watchdog.stdin?.destroy()
}

/** A handle on a sandbox another process (vitest's globalSetup) started; its stop() does nothing. */
export function connectSandbox(info: SandboxInfo): Sandbox {
  if (!existsSync(join(info.root, 'sandbox.json'))) throw new Error(`no sandbox at ${info.root} (stopped already?)`)
  const privateKeys = {
    dokku: readFileSync(info.users.dokku.privateKeyPath, 'utf8'),
    root: readFileSync(info.users.root.privateKeyPath, 'utf8')
  }
  return buildSandbox(info, { privateKeys, stop: async () => undefined })
}

function buildSandbox(info: SandboxInfo, parts: { privateKeys: Record<SandboxUserName, string>; stop: () => Promise<void> }): Sandbox {
  const { root } = info
  let requestLogOffset = 0
  const sshOptionArgs = (user: SandboxUserName): string[] => [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${info.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '-i', info.users[user].privateKeyPath
  ]
  const serviceUrl = async (plugin: 'postgres' | 'redis', service: string): Promise<string> => {
    assertName(service, `${plugin} service`)
    const path = join(root, 'services', plugin, service, 'REAL_URL')
    try {
      return (await readFile(path, 'utf8')).trim()
    } catch {
      throw new Error(`no real URL for ${plugin} service "${service}" (${path} is missing: was ${plugin}:create run?)`)
    }
  }
  const reserveAppPort = async (app: string): Promise<number> => {
    assertName(app, 'app')
    const path = join(root, 'state', 'ports', app)
    const existing = readPortFile(path)
    if (existing !== undefined) return existing
    const port = await freePort()
    try {
      await writeFile(path, `${port}\n`, { flag: 'wx', mode: 0o666 })
      chmodSync(path, 0o666)
      return port
    } catch (error) {
      const other = readPortFile(path)
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && other !== undefined) return other
      throw error
    }
  }
  return {
    root,
    host: info.host,
    port: info.port,
    knownHostsLine: info.knownHostsLine,
    knownHostsPath: info.knownHostsPath,
    hostKeyFingerprint: info.hostKeyFingerprint,
    dokkuVersion: info.dokkuVersion,
    plugins: info.plugins,
    users: {
      dokku: { ...info.users.dokku, privateKey: parts.privateKeys.dokku },
      root: { ...info.users.root, privateKey: parts.privateKeys.root }
    },
    postgresAdminUrl: info.postgresAdminUrl,
    postgres: info.postgres,
    s3: {
      ...info.s3,
      requests: () => readRecordedRequests(info.s3.requestLogPath, requestLogOffset),
      clearRequests: () => {
        try {
          requestLogOffset = statSync(info.s3.requestLogPath).size
        } catch {
          requestLogOffset = 0
        }
      }
    },
    info,
    ssh: (user, command, options = {}) => runSsh([...sshOptionArgs(user), '-T', '-p', String(info.port), '--', `${user}@${info.host}`, command], options),
    gitEnv: () => ({
      ...process.env,
      GIT_SSH_COMMAND: ['ssh', ...sshOptionArgs('dokku')].map(shellQuote).join(' '),
      GIT_SSH_VARIANT: 'ssh',
      GIT_TERMINAL_PROMPT: '0'
    }),
    remoteUrl: (app) => `ssh://dokku@${info.host}:${info.port}/${app}`,
    reserveAppPort,
    appUrl: async (app) => `http://127.0.0.1:${await reserveAppPort(app)}`,
    realPostgresUrl: (service) => serviceUrl('postgres', service),
    realRedisUrl: (service) => serviceUrl('redis', service),
    stop: parts.stop
  }
}

// ---- pieces ----------------------------------------------------------------------------

function dokkuAuthorizedKey(root: string, key: KeyPair): string {
  // The exact shape `sshcommand acl-add` writes (docs/dokku-contract.md#forced-command), pointing at this sandbox.
  return `command="FINGERPRINT=${key.fingerprint} NAME=\\"admin\\" \`cat ${join(root, '.sshcommand')}\` $SSH_ORIGINAL_COMMAND",no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding ${key.publicKey}`
}

/** Node 24 for the simulator and the S3 server: the repo's `node` devDependency, else this Node if it is 24+. */
export function node24(): string {
  const local = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node')
  if (existsSync(local)) return realpathSync(local)
  const major = Number(process.versions.node.split('.')[0])
  if (major >= 24) return process.execPath
  throw new Error(`Node 24 not found: ${local} is missing and this is Node ${process.versions.node} (run npm run setup)`)
}

async function unixIds(user: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

function runSsh(args: string[], options: SshOptions): Promise<SshResult> {
  const timeoutMs = options.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`ssh ${args.at(-1) ?? ''} timed out after ${timeoutMs} ms; stderr so far: ${Buffer.concat(err).toString('utf8')}`))
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const stdoutBuffer = Buffer.concat(out)
      resolve({ code: code ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : 255), stdout: stdoutBuffer.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBuffer })
    })
    child.stdin.on('error', () => undefined) // the remote side may not read its stdin
    child.stdin.end(options.stdin ?? '')
  })
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 }

function readPortFile(path: string): number | undefined {
  try {
    const port = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(port) && port > 0 ? port : undefined
  } catch {
    return undefined
  }
}

function assertName(name: string, what: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`invalid ${what} name: ${JSON.stringify(name)}`)
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

// ---- stop ------------------------------------------------------------------------------

async function orderlyStop(root: string, runDir: string, parts: { sshd?: Sshd; postgres?: Postgres; s3?: S3Server }): Promise<void> {
  // No new logins first, then the servers, then whatever the simulator started (apps, redis).
  await parts.sshd?.stop().catch(() => undefined)
  await Promise.allSettled([parts.postgres?.stop(), parts.s3?.stop()])
  const left = await killSandboxProcesses(root, runDir, 2_000, 8_000)
  await removeTree(root)
  if (left.length > 0) throw new Error(`sandbox ${root}: processes ${left.join(', ')} did not end`)
}

function emergencyStop(root: string, runDir: string, parts: { postgres?: Postgres; s3?: S3Server }): void {
  killSandboxProcessesSync(root, runDir, [parts.postgres?.pid ?? 0, parts.s3?.pid ?? 0])
  rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 })
}

async function removeTree(root: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rm(root, { recursive: true, force: true })
      return
    } catch (error) {
      // a process that just ended may have created a file under a directory being removed
      if (attempt >= 10) throw error
      await sleep(50)
    }
  }
}

/** Removes sandboxes whose owning process is gone (a test run killed by SIGKILL, say). */
async function cleanAbandonedSandboxes(): Promise<void> {
  const base = tmpdir()
  let names: string[]
  try {
    names = readdirSync(base).filter((n) => n.startsWith(SANDBOX_DIR_PREFIX))
  } catch {
    return
  }
  for (const name of names) {
    const root = join(base, name)
    let owner: { pid?: number; startTime?: string } | undefined
    try {
      owner = JSON.parse(readFileSync(join(root, 'owner.json'), 'utf8')) as { pid?: number; startTime?: string }
    } catch {
      owner = undefined
    }
    if (owner === undefined) {
      // being created right now, or never finished: only old ones are abandoned
      try {
        if (Date.now() - statSync(root).mtimeMs < 10 * 60_000) continue
      } catch {
        continue
      }
    } else if (owner.pid !== undefined && isRunning(owner.pid) && processStartTime(owner.pid) === owner.startTime) {
      continue
    }
    killSandboxProcessesSync(root, join(root, 'run'))
    rmSync(root, { recursive: true, force: true })
  }
}
