// The SSH transport against a real OpenSSH sshd on 127.0.0.1 (see test/sandbox/harness/sshd.ts),
// with the dokku user's real forced-command shape running the replica of the dokku entry script.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { CommandTimeoutError, HostKeyError, SshConnectionError } from '../../../src/core/ssh/errors.js'
import type { SshSettings } from '../../../src/core/ssh/settings.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { connectSsh, type SshExecutor } from '../../../src/core/ssh/connection.js'
import { parseHostKeyPins } from '../../../src/core/ssh/host-key.js'
import { UnsendableArgumentError } from '../../../src/core/ssh/quote.js'
import { ensureUnixUser, generateKeyPair, startSshd, type KeyPair, type Sshd } from '../../sandbox/harness/sshd.js'

const run = promisify(execFile)
const ENTRY_SCRIPT = fileURLToPath(new URL('../../sandbox/simulator/dokku-entry.sh', import.meta.url))
const MB = 1024 * 1024

let root: string
let sandbox: string
let sshd: Sshd
let client: KeyPair
let wrongKey: KeyPair
let protectedKey: KeyPair
let plainKey: KeyPair
let otherHostKey: KeyPair
const PASSPHRASE = 'a long passphrase for the test key'
const open: SshExecutor[] = []

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ssh-transport-'))
  await chmod(root, 0o711) // the dokku user reaches the sandbox and sshd reads authorized_keys below it
  await ensureUnixUser('dokku')

  // The sandbox host's `dokku`: the entry-script replica in <sandbox>/bin/dokku; its env file
  // makes it exec a script that prints each argument NUL-terminated.
  sandbox = join(root, 'sandbox')
  await mkdir(join(sandbox, 'bin'), { recursive: true })
  await copyFile(ENTRY_SCRIPT, join(sandbox, 'bin', 'dokku'))
  await writeFile(join(sandbox, 'bin', 'print-args'), '#!/bin/bash\nprintf \'%s\\0\' "$@"\n')
  await writeFile(join(sandbox, 'env'), `DOKKU_SANDBOX_EXEC=(${join(sandbox, 'bin', 'print-args')})\n`)
  await writeFile(join(sandbox, 'sshcommand'), `${join(sandbox, 'bin', 'dokku')}\n`)
  await chmod(join(sandbox, 'bin', 'dokku'), 0o755)
  await chmod(join(sandbox, 'bin', 'print-args'), 0o755)
  await chmod(sandbox, 0o755)

  const keys = join(root, 'keys')
  client = await generateKeyPair(keys, { name: 'client' })
  wrongKey = await generateKeyPair(keys, { name: 'wrong', type: 'ecdsa' })
  protectedKey = await generateKeyPair(keys, { name: 'protected', type: 'rsa', passphrase: PASSPHRASE })
  plainKey = await generateKeyPair(keys, { name: 'plain' })
  otherHostKey = await generateKeyPair(keys, { name: 'other-host' })

  // The shape `dokku ssh-keys:add` writes (sshcommand acl-add), with .sshcommand in the sandbox.
  const forced = (key: KeyPair, name: string) =>
    `command="FINGERPRINT=${key.fingerprint} NAME=\\"${name}\\" \`cat ${join(sandbox, 'sshcommand')}\` $SSH_ORIGINAL_COMMAND",no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding ${key.publicKey}`
  sshd = await startSshd({
    root: join(root, 'sshd'),
    hostKeyTypes: ['ed25519', 'rsa'],
    permitUserEnvironment: 'PATH',
    users: [
      // plainKey logs in as dokku without the forced command: a session sshd lets us signal.
      { name: 'dokku', authorizedKeys: [forced(client, 'ci'), forced(protectedKey, 'protected'), plainKey.publicKey] },
      { name: 'root', authorizedKeys: [`environment="PATH=${join(sandbox, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin" ${client.publicKey}`] }
    ]
  })
})

afterAll(async () => {
  await Promise.all(open.map((e) => e.close()))
  await sshd?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

function settings(overrides: Partial<SshSettings> = {}): SshSettings {
  return {
    host: sshd.host,
    port: sshd.port,
    user: 'dokku',
    privateKey: client.privateKey,
    passphrase: undefined,
    hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', sshd.knownHostsLines.join('\n')) },
    shell: 'dokku-forced-command',
    ...overrides
  }
}

const asRoot = (overrides: Partial<SshSettings> = {}) => settings({ user: 'root', shell: 'root-shell', ...overrides })

async function connect(s: SshSettings, logger = new RecordingLogger(), extra: { retries?: number; backoffMs?: number } = {}): Promise<SshExecutor> {
  const executor = await connectSsh(s, { logger, retries: 0, backoffMs: 10, ...extra })
  open.push(executor)
  return executor
}

/** The sshd log written from now on; `until` waits (bounded) for a line that ends what the test needs. */
async function logFrom(offset: number, until: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = (await sshd.readLog()).slice(offset)
    if (until.test(text)) return text
    await sleep(50)
  }
  return (await sshd.readLog()).slice(offset)
}

async function catchError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('host key pinning', () => {
  test('a known_hosts line (ssh-keyscan form) matches', async () => {
    const executor = await connect(asRoot())
    expect(await executor.exec('echo pinned')).toEqual({ code: 0, signal: null, stdout: 'pinned\n', stderr: '' })
    expect(sshd.hostKeys.map((k) => k.fingerprint)).toContain(executor.hostKey.fingerprint)
    expect(sshd.hostKeys.map((k) => k.publicKey)).toContain(executor.hostKey.publicKey)
    await executor.close()
  })

  test('SHA256 fingerprints match: bare, and as printed by ssh-keygen -lf', async () => {
    const ed25519 = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')
    if (!ed25519) throw new Error('no ed25519 host key')
    const keygen = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(root, 'sshd', 'ssh_host_ed25519_key.pub')])).stdout
    for (const text of [ed25519.fingerprint, keygen]) {
      const executor = await connect(asRoot({ hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', text) } }))
      expect(executor.hostKey.fingerprint).toBe(ed25519.fingerprint)
      await executor.close()
    }
  })

  test('pinning only the RSA key of a host that also has ed25519 negotiates the RSA key', async () => {
    const rsaLine = sshd.knownHostsLines.find((l) => l.includes(' ssh-rsa '))
    if (!rsaLine) throw new Error('no rsa host key')
    const executor = await connect(asRoot({ hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', rsaLine) } }))
    expect(executor.hostKey.keyType).toBe('ssh-rsa')
    expect(executor.hostKey.fingerprint).toBe(sshd.hostKeys.find((k) => k.type === 'ssh-rsa')?.fingerprint)
    await executor.close()
  })

  test('a mismatch fails before authentication, with both fingerprints and the fix, and is not retried', async () => {
    const offset = (await sshd.readLog()).length
    const pinned = `[127.0.0.1]:${sshd.port} ${otherHostKey.publicKey}`
    const logger = new RecordingLogger()
    const error = await catchError(
      connectSsh(settings({ hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', pinned) } }), { logger, retries: 3, backoffMs: 10 })
    )
    expect(error).toBeInstanceOf(HostKeyError)
    const presented = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')
    expect(error.message).toContain(presented?.fingerprint)
    expect(error.message).toContain('ssh-ed25519 key')
    expect(error.message).toContain(otherHostKey.fingerprint)
    expect(error.message).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1`)
    expect(logger.lines.filter((l) => l.includes('retrying'))).toEqual([])

    const log = await logFrom(offset, /Connection (closed|reset) by|Disconnected from|disconnect/i)
    expect(log.match(/Connection from 127\.0\.0\.1/g)).toHaveLength(1)
    expect(log).not.toMatch(/publickey|Accepted key|authenticating user|Postponed|Failed/)
  })

  test('accept-new connects and warns with the fingerprint and a known_hosts line to pin', async () => {
    const logger = new RecordingLogger()
    const executor = await connect(asRoot({ hostKey: { mode: 'accept-new' } }), logger)
    const warning = logger.lines.find((l) => l.startsWith('warning:'))
    expect(warning).toContain(executor.hostKey.fingerprint)
    const line = sshd.knownHostsLines.find((l) => l.includes(` ${executor.hostKey.keyType} `))
    expect(warning).toContain(line)
    expect(warning).toContain('ssh-host-key')
    await executor.close()
  })
})

describe('authentication', () => {
  test('a key the host does not know fails clearly, once, without retries', async () => {
    const offset = (await sshd.readLog()).length
    const logger = new RecordingLogger()
    const error = await catchError(connectSsh(settings({ privateKey: wrongKey.privateKey }), { logger, retries: 3, backoffMs: 10 }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toContain('ssh-private-key')
    expect(error.message).toContain('"dokku"')
    expect(error.message).toContain('dokku ssh-keys:add')
    expect(error.message).toContain(wrongKey.fingerprint)
    expect(error.message).toContain('ssh-user')
    expect(logger.lines.filter((l) => l.includes('retrying'))).toEqual([])
    const log = await logFrom(offset, /Connection closed by|Disconnected from|disconnect/i)
    expect(log.match(/Connection from 127\.0\.0\.1/g)).toHaveLength(1)
  })

  test('a passphrase-protected key works with its passphrase', async () => {
    const executor = await connect(settings({ privateKey: protectedKey.privateKey, passphrase: PASSPHRASE }))
    const result = await executor.run(['apps:list'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('apps:list\0')
    await executor.close()
  })

  test('connection refused is retried with backoff, then fails with SshConnectionError', async () => {
    const port = await closedPort()
    const logger = new RecordingLogger()
    const error = await catchError(connectSsh(settings({ port }), { logger, retries: 3, backoffMs: 5 }))
    expect(error).toBeInstanceOf(SshConnectionError)
    expect((error as SshConnectionError).retryable).toBe(false)
    expect(error.message).toContain('4 attempts')
    expect(error.message).toContain('ECONNREFUSED')
    const retries = logger.lines.filter((l) => l.includes('retrying in'))
    expect(retries.map((l) => /retrying in (\d+) ms/.exec(l)?.[1])).toEqual(['5', '10', '20'])
  })

  test('a server that drops connections before the handshake is retried, then fails', async () => {
    await withTcpServer((socket) => socket.destroy(), async (port, accepted) => {
      const logger = new RecordingLogger()
      const error = await catchError(connectSsh(settings({ port }), { logger, retries: 2, backoffMs: 5 }))
      expect(error).toBeInstanceOf(SshConnectionError)
      expect(error.message).toContain('3 attempts')
      expect(accepted()).toBe(3)
    })
  })

  test('a server that never answers hits the connect timeout, retried, then fails', async () => {
    await withTcpServer(() => undefined, async (port, accepted) => {
      const error = await catchError(connectSsh(settings({ port }), { logger: new RecordingLogger(), retries: 1, backoffMs: 5, connectTimeoutMs: 300 }))
      expect(error).toBeInstanceOf(SshConnectionError)
      expect(error.message).toContain('2 attempts')
      expect(error.message).toMatch(/handshake/i)
      expect(accepted()).toBe(2)
    })
  })
})

describe('commands', () => {
  let dokku: SshExecutor
  let rootExecutor: SshExecutor
  beforeAll(async () => {
    dokku = await connect(settings())
    rootExecutor = await connect(asRoot())
  })

  test('exit code, stdout and stderr come back; a non-zero exit does not throw', async () => {
    expect(await rootExecutor.exec('echo out; echo err >&2; exit 7')).toEqual({ code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' })
    expect(await rootExecutor.exec('kill -TERM $$')).toMatchObject({ code: null, signal: 'SIGTERM' })
  })

  test('streams output to callbacks as it arrives', async () => {
    const out: string[] = []
    const err: string[] = []
    const result = await rootExecutor.exec('printf "é日本😀"; printf x >&2', { onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) })
    expect(out.join('')).toBe('é日本😀')
    expect(err.join('')).toBe('x')
    expect(result.stdout).toBe('é日本😀')
  })

  test('stdin as a string or Buffer is sent, then EOF', async () => {
    expect((await rootExecutor.exec('cat', { stdin: 'hello\n' })).stdout).toBe('hello\n')
    expect((await rootExecutor.exec('wc -c', { stdin: Buffer.alloc(100_000, 7) })).stdout.trim()).toBe('100000')
    // Without stdin the command sees EOF at once instead of waiting.
    expect((await rootExecutor.exec('cat')).stdout).toBe('')
  })

  test('a timed-out command is stopped with a signal and CommandTimeoutError (plain login)', async () => {
    const plain = await connect(settings({ privateKey: plainKey.privateKey, shell: 'sudo-shell' }))
    const marker = `sleep 3141.${process.pid}`
    const error = await catchError(plain.exec(`echo started >&2; ${marker}`, { timeoutMs: 1500 }))
    expect(error).toBeInstanceOf(CommandTimeoutError)
    expect(error.message).toContain('did not finish within 1.5 s')
    expect(await processGone(marker)).toBe(true)
    // The connection stays usable.
    expect((await plain.exec('echo still here')).stdout).toBe('still here\n')
  })

  test('a timed-out command under root is cut off: a process writing output dies with its channel', async () => {
    // sshd refuses signals for root sessions ("requires privilege separation") and forced
    // commands; closing the channel is what remains, and a writer then gets SIGPIPE.
    const marker = `tick-${process.pid}-${Date.now()}`
    const error = await catchError(rootExecutor.exec(`while :; do echo ${marker}; sleep 0.1; done`, { timeoutMs: 1000 }))
    expect(error).toBeInstanceOf(CommandTimeoutError)
    expect(await processGone(marker)).toBe(true)
  })

  test('a timeout destroys a stdout sink instead of ending it', async () => {
    const sink = new Writable({ write: (_c, _e, cb) => cb() })
    let finished = false
    sink.on('finish', () => (finished = true))
    sink.on('error', () => undefined)
    const error = await catchError(rootExecutor.exec('echo partial; sleep 30', { timeoutMs: 500, stdout: sink }))
    expect(error).toBeInstanceOf(CommandTimeoutError)
    expect(sink.destroyed).toBe(true)
    expect(finished).toBe(false)
  })

  test('a failing stdin stream stops the command without EOF and rejects with its error', async () => {
    let sent = 0
    const source = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1024, 1))
        else this.destroy(new Error('upstream broke'))
      }
    })
    const error = await catchError(rootExecutor.exec('cat > /dev/null', { stdin: source }))
    expect(error.message).toContain('upstream broke')
    expect(error.message).toContain('before its input was complete')
  })

  test('a command that exits without reading all its input: the exit code comes back and the stream is destroyed', async () => {
    const source = new Readable({ read() { this.push(Buffer.alloc(64 * 1024, 2)) } })
    const result = await rootExecutor.exec('head -c 10 > /dev/null; exit 3', { stdin: source })
    expect(result.code).toBe(3)
    expect(source.destroyed).toBe(true)
  })

  test('100 MB through stdin, streamed, in bounded memory', { timeout: 180_000 }, async () => {
    const total = 100 * MB
    const local = createHash('sha256')
    let produced = 0
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null)
        const chunk = randomBytes(Math.min(256 * 1024, total - produced))
        produced += chunk.length
        local.update(chunk)
        this.push(chunk)
      }
    })
    const memory = trackRss()
    const result = await rootExecutor.exec('sha256sum', { stdin: source })
    const growth = memory.stop()
    expect(result.code).toBe(0)
    expect(result.stdout.split(' ')[0]).toBe(local.digest('hex'))
    expect(growth).toBeLessThan(64 * MB)
  })

  test('100 MB back through stdout into a slow stream, in bounded memory', { timeout: 180_000 }, async () => {
    const local = createHash('sha256')
    let received = 0
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        local.update(chunk)
        received += chunk.length
        setImmediate(callback) // a consumer slower than the network: backpressure must hold
      }
    })
    const memory = trackRss()
    const result = await rootExecutor.exec(`head -c ${100 * MB} /dev/urandom | tee >(sha256sum >&2)`, { stdout: sink })
    const growth = memory.stop()
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(sink.writableFinished).toBe(true)
    expect(received).toBe(100 * MB)
    expect(result.stderr.split(' ')[0]).toBe(local.digest('hex'))
    expect(growth).toBeLessThan(64 * MB)
  })

  const TRICKY = [
    "it's",
    'say "hi"',
    'a b  c',
    '\ttab',
    '$HOME',
    '$(id)',
    '`id`',
    'back\\slash',
    'trailing\\',
    '*',
    '?',
    '~',
    '#hash',
    'semi;colon',
    'pipe|amp&',
    '-dash',
    '--long=opt',
    'KEY=value with spaces',
    "mixed 'single' \"double\" $dollar `tick` \\",
    'é日本語😀𝄞',
    '\u00a0nbsp',
    'x'.repeat(20_000)
  ]

  test('tricky arguments reach dokku byte for byte through the dokku user\'s forced command', async () => {
    const argv = ['config:set', 'web', ...TRICKY]
    const result = await dokku.run(argv)
    expect(result.stderr).toBe('')
    expect(splitNul(result.stdout)).toEqual(argv)
  })

  test('global options before the command are shifted the way the entry script does', async () => {
    for (const argv of [
      ['--quiet', 'config:set', 'web', "K=it's"],
      ['--app', 'gitea', 'config:set', 'K=a b', "it's"],
      ['--app', 'web', 'git:sync', 'web', "it's", '$x']
    ]) {
      expect(splitNul((await dokku.run(argv)).stdout)).toEqual(argv)
    }
  })

  test('an argument the forced command cannot carry is refused before anything is sent', async () => {
    await expect(dokku.run(['config:set', 'web', 'two\nlines'])).rejects.toBeInstanceOf(UnsendableArgumentError)
    await expect(dokku.run(['git:sync', 'web', 'a b'])).rejects.toBeInstanceOf(UnsendableArgumentError)
  })

  test('git commands: quote characters arrive literally (whitespace split, no quote processing)', async () => {
    const argv = ['git:sync', 'web', "it's", 'a"b', '$x', '`id`', 'back\\slash', 'é😀']
    expect(splitNul((await dokku.run(argv)).stdout)).toEqual(argv)
  })

  test('tricky arguments reach dokku byte for byte as root (login shell, then re-exec as dokku)', async () => {
    const argv = ['config:set', 'web', ...TRICKY, '', 'new\nline', '-n', '--help']
    const result = await rootExecutor.run(argv)
    expect(result.stderr).toBe('')
    expect(splitNul(result.stdout)).toEqual(argv)
  })

  test('the connection stays usable for many commands, also concurrently', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => rootExecutor.exec(`echo ${i}`)))
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`))
  })
})

describe('connection lifecycle', () => {
  test('a connection lost mid-command fails with SshConnectionError, not retried', async () => {
    const second = await startSshd({ root: join(root, 'sshd-2'), users: [{ name: 'root', authorizedKeys: [client.publicKey] }] })
    try {
      const executor = await connect(asRoot({ port: second.port, hostKey: { mode: 'pinned', pins: parseHostKeyPins('ssh-host-key', second.knownHostsLines.join('\n')) } }))
      const running = catchError(executor.exec('echo started; sleep 30'))
      await sleep(300)
      await second.stop()
      const error = await running
      expect(error).toBeInstanceOf(SshConnectionError)
      expect((error as SshConnectionError).retryable).toBe(false)
      expect(error.message).toContain('may or may not have run')
      expect(await catchError(executor.exec('true'))).toBeInstanceOf(SshConnectionError)
    } finally {
      await second.stop()
    }
  })

  test('close is idempotent, exec after close fails, and nothing is left to keep the process alive', async () => {
    const before = countResources()
    const executor = await connectSsh(asRoot(), { logger: new RecordingLogger(), keepaliveIntervalMs: 200 })
    await executor.exec('true')
    await sleep(500) // let a few keepalives run
    await Promise.all([executor.close(), executor.close()])
    await executor.close()
    expect(await catchError(executor.exec('true'))).toBeInstanceOf(SshConnectionError)
    await sleep(50)
    const after = countResources()
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0)
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
  })
})

function splitNul(text: string): string[] {
  const parts = text.split('\0')
  parts.pop()
  return parts
}

async function processGone(pattern: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const found = await run('pgrep', ['-f', '--', pattern]).then(
      () => true,
      () => false
    )
    if (!found) return true
    await sleep(100)
  }
  return false
}

/** A plain TCP server on 127.0.0.1 that does `onSocket` with each connection: a misbehaving host. */
async function withTcpServer(onSocket: (socket: Socket) => void, body: (port: number, accepted: () => number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>()
  let count = 0
  const server = createServer((socket) => {
    count++
    sockets.add(socket)
    socket.on('error', () => undefined)
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  try {
    await body(typeof address === 'object' && address ? address.port : 0, () => count)
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1))
    })
  })
}

// Each transfer makes ~100 MB of short-lived buffers (data, encrypted packets); collecting
// before each sample makes RSS show what is held, not what V8 has yet to sweep.
v8.setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Peak RSS growth over the baseline while a transfer runs (sampled; memory, not time). */
function trackRss(): { stop(): number } {
  collectGarbage()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const timer = setInterval(() => {
    collectGarbage()
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 100)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage().rss)
      return peak - baseline
    }
  }
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1
  return counts
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
