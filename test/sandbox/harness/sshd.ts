// A real OpenSSH server for tests (Debian `openssh-server`; the test process must be root).
// Each server lives in a directory the caller owns: its own config, host keys, pid file,
// authorized_keys files and log, listening on 127.0.0.1 on a free port, so several can run
// side by side and nothing touches the machine's own sshd.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export type KeyType = 'ed25519' | 'rsa' | 'ecdsa'

export interface KeyPair {
  privateKeyPath: string
  publicKeyPath: string
  /** The OpenSSH private key file's text. */
  privateKey: string
  /** The public key line, `type base64 comment`, without the trailing newline. */
  publicKey: string
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  fingerprint: string
}

export interface SshdUser {
  name: string
  /** Full authorized_keys lines, options included (`command="…",restrict ssh-ed25519 AAAA…`). */
  authorizedKeys: string[]
}

export interface SshdOptions {
  /** A temporary directory owned by the caller; the server's files go here. */
  root: string
  users: SshdUser[]
  hostKeyTypes?: KeyType[]
  /** sshd's PermitUserEnvironment value, e.g. 'PATH', so authorized_keys `environment="PATH=…"` works. */
  permitUserEnvironment?: string
}

export interface SshdHostKey {
  type: string
  /** `type base64` */
  publicKey: string
  fingerprint: string
}

export interface Sshd {
  host: '127.0.0.1'
  port: number
  hostKeys: SshdHostKey[]
  /** `[127.0.0.1]:PORT type base64`, ready for a known_hosts file or the ssh-host-key input. */
  knownHostsLines: string[]
  logPath: string
  /** The log so far (sshd writes it with LogLevel VERBOSE). */
  readLog(): Promise<string>
  /** Replaces a user's authorized_keys lines; sshd reads the file on each login. */
  setAuthorizedKeys(user: string, lines: string[]): Promise<void>
  stop(): Promise<void>
}

const SSHD = '/usr/sbin/sshd'
const START_ATTEMPTS = 5
const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000

/** Generates a key pair with ssh-keygen (OpenSSH private key format). */
export async function generateKeyPair(dir: string, options: { name: string; type?: KeyType; passphrase?: string }): Promise<KeyPair> {
  const type = options.type ?? 'ed25519'
  await mkdir(dir, { recursive: true })
  const privateKeyPath = join(dir, options.name)
  const publicKeyPath = `${privateKeyPath}.pub`
  const args = ['-q', '-t', type, '-f', privateKeyPath, '-N', options.passphrase ?? '', '-C', options.name]
  if (type === 'rsa') args.push('-b', '3072')
  await run('ssh-keygen', args)
  const privateKey = await readFile(privateKeyPath, 'utf8')
  const publicKey = (await readFile(publicKeyPath, 'utf8')).trim()
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath])
  const fingerprint = stdout.split(' ')[1] ?? ''
  if (!fingerprint.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output: ${stdout}`)
  return { privateKeyPath, publicKeyPath, privateKey, publicKey, fingerprint }
}

/** Creates the Unix user if missing and makes sure sshd does not treat it as locked. */
export async function ensureUnixUser(name: string, options: { home?: string } = {}): Promise<void> {
  const exists = await run('id', ['-u', name]).then(
    () => true,
    () => false
  )
  if (!exists) {
    const args = ['--create-home', '--shell', '/bin/bash']
    if (options.home) args.push('--home-dir', options.home)
    // Another test file may create it at the same moment: "already exists" is success.
    await withPasswdLock(() => run('useradd', [...args, name]), /already exists/)
  }
  // With UsePAM no, sshd refuses accounts whose password field starts with "!" (useradd's default).
  const shadow = await readFile('/etc/shadow', 'utf8')
  const entry = shadow.split('\n').find((line) => line.startsWith(`${name}:`))
  const password = entry?.split(':')[1] ?? ''
  if (password.startsWith('!') || password === '') await withPasswdLock(() => run('usermod', ['-p', '*', name]))
}

/** useradd/usermod fail at once when another process holds /etc/passwd's lock; try again a while. */
async function withPasswdLock(action: () => Promise<unknown>, fine?: RegExp): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await action()
      return
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '')
      if (fine?.test(stderr)) return
      if (!/lock/i.test(stderr) || attempt >= 50) throw error
      await sleep(100)
    }
  }
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Best effort for a test run that ends without calling stop(); a SIGKILLed test process is
  // covered by the parent-death signal set in startSshd.
  process.on('exit', () => {
    for (const child of running) if (child.pid !== undefined) killQuietly(child.pid, 'SIGKILL')
  })
}

export async function startSshd(options: SshdOptions): Promise<Sshd> {
  const { root } = options
  const hostKeyTypes = options.hostKeyTypes ?? ['ed25519']
  await mkdir('/run/sshd', { recursive: true }) // privilege separation directory
  // sshd opens authorized_keys as the logging-in user, who must be able to traverse a
  // mkdtemp directory (0700) and every directory above it; nothing needs to be listable.
  await mkdir(root, { recursive: true })
  await chmod(root, 0o711)
  await checkTraversable(root)
  await mkdir(join(root, 'authorized_keys'), { recursive: true })
  await mkdir(rootHome(root), { recursive: true, mode: 0o700 })

  const hostKeys: SshdHostKey[] = []
  const hostKeyPaths: string[] = []
  for (const type of hostKeyTypes) {
    const path = join(root, `ssh_host_${type}_key`)
    await run('ssh-keygen', ['-q', '-t', type, '-f', path, '-N', '', '-C', ''])
    await chmod(path, 0o600)
    const [keyType = '', base64 = ''] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/)
    hostKeys.push({ type: keyType, publicKey: `${keyType} ${base64}`, fingerprint: fingerprintOfBase64(base64) })
    hostKeyPaths.push(path)
  }

  const setAuthorizedKeys = async (user: string, lines: string[]): Promise<void> => {
    await writeFile(join(root, 'authorized_keys', user), lines.map((l) => `${l}\n`).join(''), { mode: 0o644 })
  }
  for (const user of options.users) await setAuthorizedKeys(user.name, user.authorizedKeys)

  const logPath = join(root, 'sshd.log')
  let lastFailure = ''
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort()
    const configPath = join(root, 'sshd_config')
    await writeFile(configPath, sshdConfig({ root, port, hostKeyPaths, permitUserEnvironment: options.permitUserEnvironment }))
    const logOffset = fileSize(logPath)
    const logFd = openSync(logPath, 'a')
    let child: ChildProcess
    try {
      // setpriv's parent-death signal takes sshd down with the test process even on SIGKILL.
      child = spawn('setpriv', ['--pdeathsig', 'KILL', SSHD, '-D', '-e', '-f', configPath], { stdio: ['ignore', logFd, logFd] })
    } finally {
      closeSync(logFd)
    }
    installExitHook()
    running.add(child)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    exited.then(() => running.delete(child), () => undefined)

    const ready = await waitUntilListening(port, logPath, logOffset, exited)
    if (ready === 'ready') {
      const host = '127.0.0.1' as const
      return {
        host,
        port,
        hostKeys,
        knownHostsLines: hostKeys.map((k) => `[${host}]:${port} ${k.publicKey}`),
        logPath,
        readLog: () => readFile(logPath, 'utf8'),
        setAuthorizedKeys,
        stop: () => stopProcessTree(child, exited)
      }
    }
    await stopProcessTree(child, exited)
    lastFailure = readFileSync(logPath, 'utf8').slice(logOffset)
    // Only a lost race for the port is worth another attempt; a broken config is not.
    if (!/Bind to port|Cannot bind|Address already in use/.test(lastFailure)) break
  }
  throw new Error(`sshd did not start (config and log in ${root}):\n${lastFailure}`)
}

async function checkTraversable(dir: string): Promise<void> {
  for (let current = dirname(dir); current !== dirname(current); current = dirname(current)) {
    const mode = (await stat(current)).mode
    if ((mode & 0o001) === 0)
      throw new Error(`startSshd: ${current} is not traversable by other users (mode ${(mode & 0o777).toString(8)}), so sshd cannot read authorized_keys as the logging-in user; chmod o+x it or choose another root`)
  }
}

function sshdConfig(p: { root: string; port: number; hostKeyPaths: string[]; permitUserEnvironment: string | undefined }): string {
  return [
    `ListenAddress 127.0.0.1:${p.port}`,
    ...p.hostKeyPaths.map((k) => `HostKey ${k}`),
    `PidFile ${join(p.root, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(p.root, 'authorized_keys')}/%u`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'LogLevel VERBOSE',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'X11Forwarding no',
    // Tests open many connections at once (retries, parallel files); the default 10:30:100 drops some.
    'MaxStartups 100',
    `PermitUserEnvironment ${p.permitUserEnvironment ?? 'no'}`,
    // Non-interactive bash started by sshd still reads ~/.bashrc (Debian builds bash with
    // SSH_SOURCE_BASHRC). The machine's own /root/.bashrc (pyenv init, cargo) then runs before every
    // root command: a minute under load, and not part of the host being simulated. The sandbox's root
    // login gets a home of its own, so its shell starts clean and the same on every machine.
    'Match User root',
    `  SetEnv HOME=${rootHome(p.root)}`,
    ''
  ].join('\n')
}

/** HOME of the sandbox's root login (see the sshd config). */
function rootHome(root: string): string {
  return join(root, 'root-home')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function fileSize(path: string): number {
  try {
    return readFileSync(path).length
  } catch {
    return 0
  }
}

async function waitUntilListening(port: number, logPath: string, logOffset: number, exited: Promise<number | null>): Promise<'ready' | 'failed'> {
  let hasExited = false
  void exited.then(() => {
    hasExited = true
  })
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (hasExited) return 'failed'
    // sshd prints this line after listen() succeeded, so the port accepts connections from then
    // on; probing with a TCP connection instead would add a "Connection from" entry to the log
    // that tests counting connections would have to skip.
    const log = readFileSync(logPath, 'utf8').slice(logOffset)
    if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) return 'ready'
    await sleep(25)
  }
  return 'failed'
}

/** Kills sshd and every process it forked (per-connection sshd, session shells). */
async function stopProcessTree(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  const pid = child.pid
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const descendants = descendantsOf(pid)
  killQuietly(pid, 'SIGTERM')
  for (const d of descendants) killQuietly(d, 'SIGKILL')
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref())
  if ((await Promise.race([exited, timer])) === 'timeout') {
    killQuietly(pid, 'SIGKILL')
    await exited
  }
}

function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parentOf.set(Number(entry), Number(fields[1]))
    } catch {
      // The process ended while we looked.
    }
  }
  const result: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const current = queue.shift() as number
    for (const [p, ppid] of parentOf) {
      if (ppid === current) {
        result.push(p)
        queue.push(p)
      }
    }
  }
  return result
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

function fingerprintOfBase64(base64: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(base64, 'base64')).digest('base64').replace(/=+$/, '')}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
