import { finished, type Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { NodeSSH } from 'node-ssh'
import ssh2 from 'ssh2'
import type { Client, ClientChannel, ConnectConfig } from 'ssh2'
import { ConfigurationError } from '../errors.js'
import { formatDuration } from '../format.js'
import type { Logger } from '../log.js'
import { redact } from '../secrets.js'
import { sleep } from '../sleep.js'
import { CommandTimeoutError, HostKeyError, SshConnectionError } from './errors.js'
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOfBlob, knownHostsLine } from './host-key.js'
import { buildRemoteCommand } from './quote.js'
import { SshInputs, type SshSettings } from './settings.js'
import type { ExecOptions, ExecResult, RemoteExecutor, RemoteShell } from './types.js'

export interface ConnectOptions {
  logger: Logger
  /** Time allowed for TCP connect + SSH handshake + authentication (ssh2 readyTimeout). */
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  /** Further attempts after the first, for connection-establishment failures only. */
  retries?: number
  /** First retry delay; doubled for each further retry. */
  backoffMs?: number
  /**
   * Gives up: a connection being opened is dropped at once and no further attempt is made, so a
   * run that failed elsewhere never waits for (or keeps) a connection it no longer needs.
   */
  signal?: AbortSignal
  /**
   * Commands running at once on the connection; more wait for a free channel. Below OpenSSH's
   * MaxSessions (10 by default), beyond which sshd refuses to open a channel.
   */
  maxChannels?: number
}

/** OpenSSH refuses channels beyond MaxSessions (default 10): keep a margin under it. */
export const DEFAULT_MAX_CHANNELS = 8
/** How often a refused channel is asked for again, and the pauses between (doubling from the first): about a minute in all. */
const CHANNEL_OPEN_ATTEMPTS = 35
const CHANNEL_RETRY_FIRST_MS = 50
const CHANNEL_RETRY_MAX_MS = 2_000
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000
const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000
const KEEPALIVE_COUNT_MAX = 4
const DEFAULT_RETRIES = 3
const DEFAULT_BACKOFF_MS = 1_000
const CLOSE_TIMEOUT_MS = 5_000
const MAX_STDERR_BYTES = 4 * 1024 * 1024

// Failures that happen before the server could have run anything and that a later attempt may not meet.
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'])

/**
 * Opens the run's one SSH connection. The host key is checked during key exchange, before any
 * authentication; only failures to establish the connection are retried, never a host key
 * mismatch or a refused key.
 */
export async function connectSsh(settings: SshSettings, options: ConnectOptions): Promise<SshExecutor> {
  const retries = options.retries ?? DEFAULT_RETRIES
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS
  const target = `${settings.user}@${settings.host}:${settings.port}`
  const abandoned = (): SshConnectionError => new SshConnectionError(`The connection to ${target} was abandoned before it was open: the run no longer needed it`, false)
  const given = (): boolean => options.signal?.aborted === true || connectionsEnded
  for (let attempt = 0; ; attempt++) {
    if (given()) throw abandoned()
    try {
      return await connectOnce(settings, options)
    } catch (error) {
      if (given()) throw abandoned()
      if (!(error instanceof SshConnectionError)) throw error
      if (!error.retryable) throw new SshConnectionError(`Could not connect to ${target}: ${error.message}`, false, { cause: error })
      if (attempt >= retries)
        throw new SshConnectionError(`Could not connect to ${target} (${attempt + 1} attempts): ${error.message}`, false, { cause: error })
      const delay = backoffMs * 2 ** attempt
      options.logger.info(`Connecting to ${target} failed (${error.message}); retrying in ${formatDuration(delay)} (attempt ${attempt + 2} of ${retries + 1})`)
      await sleep(delay, options.signal).catch(() => {
        throw abandoned()
      })
    }
  }
}

async function connectOnce(settings: SshSettings, options: ConnectOptions): Promise<SshExecutor> {
  const target = `${settings.user}@${settings.host}:${settings.port}`
  const pins = settings.hostKey.mode === 'pinned' ? settings.hostKey.pins : undefined
  let presentedKey: Buffer | undefined
  let hostKeyRefused = false
  const algorithms = pins ? hostKeyAlgorithmsFor(pins) : undefined

  const config: ConnectConfig = {
    host: settings.host,
    port: settings.port,
    username: settings.user,
    privateKey: settings.privateKey,
    passphrase: settings.passphrase,
    readyTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    // Only the key: no "none" probe, no password or keyboard prompts that could never be answered in CI.
    authHandler: ['publickey'],
    // Called during key exchange, before ssh2 sends any authentication request.
    hostVerifier: (key: Buffer): boolean => {
      presentedKey = key
      if (!pins) return true
      const fingerprint = fingerprintOf(key)
      hostKeyRefused = !pins.some((pin) => pin.fingerprint === fingerprint)
      return !hostKeyRefused
    },
    ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {})
  }

  const ssh = new NodeSSH()
  const connecting = ssh.connect(config as Parameters<NodeSSH['connect']>[0])
  // node-ssh creates the client synchronously; listen for errors before its own listener goes
  // away at 'ready', so a late error (keepalive timeout, reset) never becomes an uncaught exception.
  const client = ssh.connection
  let lastError: Error | undefined
  client?.on('error', (error: Error) => {
    lastError = error
  })
  if (client) trackConnection(client, { describe: () => `SSH connection to ${target} (being opened)`, close: () => destroyClient(client) })
  const abandon = (): void => {
    client?.destroy()
  }
  options.signal?.addEventListener('abort', abandon, { once: true })
  try {
    await connecting
  } catch (error) {
    client?.destroy()
    throw classifyConnectError(error, { settings, target, presentedKey, hostKeyRefused, pins })
  } finally {
    options.signal?.removeEventListener('abort', abandon)
  }
  if (!client || !ssh.connection) throw new SshConnectionError('the connection closed right after it opened', true)
  const key = presentedKey ?? Buffer.alloc(0)
  const keyType = keyTypeOfBlob(key)
  const hostKey: VerifiedHostKey = { fingerprint: fingerprintOf(key), keyType, publicKey: `${keyType ?? 'unknown'} ${key.toString('base64')}` }
  if (settings.hostKey.mode === 'accept-new') {
    options.logger.warning(
      `The host key of ${settings.host}:${settings.port} was not checked (${SshInputs.sshAcceptNewHostKey}: true). ` +
        `It presented a ${hostKey.keyType ?? 'unknown'} key with fingerprint ${hostKey.fingerprint}. ` +
        `If that is your host's key, pin it: set ${SshInputs.sshHostKey} to\n${knownHostsLine(settings.host, settings.port, key)}\n` +
        `and remove ${SshInputs.sshAcceptNewHostKey}.`
    )
  } else {
    const pin = pins?.find((p) => p.fingerprint === hostKey.fingerprint)
    options.logger.debug(`Connected to ${target}; host key ${hostKey.fingerprint} matches ${SshInputs.sshHostKey} ${pin?.source ?? ''}`)
  }
  const executor = new SshExecutor(client, settings.shell, target, hostKey, () => lastError, options.maxChannels ?? DEFAULT_MAX_CHANNELS)
  trackConnection(client, { describe: () => executor.describe(), close: () => executor.close() })
  return executor
}

interface OpenConnection {
  describe(): string
  close(): Promise<void>
}

/**
 * Every SSH connection of this process from the moment its socket is created (while it is still
 * being opened, too) until it has closed. Whatever an action's own clean-up missed is closed by
 * the action's outer guard through endConnections: one forgotten connection (its socket,
 * its keepalive timer) would otherwise keep a failed run alive until the job's time limit.
 */
const openConnections = new Map<Client, OpenConnection>()
/** Set by endConnections: the process is ending, a connection being retried must not start again. */
let connectionsEnded = false

function trackConnection(client: Client, connection: OpenConnection): void {
  if (!openConnections.has(client)) client.once('close', () => openConnections.delete(client))
  openConnections.set(client, connection)
}

function destroyClient(client: Client): Promise<void> {
  return new Promise<void>((resolve) => {
    client.once('close', () => resolve())
    client.destroy()
    // destroy() of a client whose socket never opened emits no 'close'.
    setImmediate(resolve)
  })
}

/**
 * For the end of the process: closes every SSH connection it still has open (stopping the
 * commands running on them, dropping those being opened) and lets no new one start, not even a
 * retry of one dropped here. Returns what was open, for the log: empty when every action closed
 * its own.
 */
export async function endConnections(): Promise<string[]> {
  connectionsEnded = true
  const left = [...openConnections.values()]
  const described = left.map((c) => c.describe())
  await Promise.all(left.map((c) => c.close().catch(() => undefined)))
  return described
}

interface ConnectFailure {
  settings: SshSettings
  target: string
  presentedKey: Buffer | undefined
  hostKeyRefused: boolean
  pins: readonly { fingerprint: string; keyType: string | undefined; source: string }[] | undefined
}

function classifyConnectError(error: unknown, f: ConnectFailure): Error {
  const err = error instanceof Error ? error : new Error(String(error))
  const { settings } = f
  const code = (err as { code?: unknown }).code
  const level = (err as { level?: unknown }).level
  const pinList = (f.pins ?? []).map((p) => `  ${p.fingerprint}${p.keyType ? ` (${p.keyType})` : ''} from ${SshInputs.sshHostKey} ${p.source}`).join('\n')
  const scan = `ssh-keyscan -p ${settings.port} ${settings.host}`

  if (f.hostKeyRefused && f.presentedKey) {
    return new HostKeyError(
      `Host key mismatch for ${settings.host}:${settings.port}: it presented a ${keyTypeOfBlob(f.presentedKey) ?? 'unknown'} key with fingerprint ${fingerprintOf(f.presentedKey)}, ` +
        `which is not pinned. Pinned keys:\n${pinList}\n` +
        `The connection was closed before authenticating. Either the host was reinstalled or re-keyed, or someone is impersonating it. ` +
        `If the host really changed its key, run \`${scan}\` from a trusted machine and update ${SshInputs.sshHostKey}.`
    )
  }
  if (/no matching host key/i.test(err.message) && f.pins) {
    return new HostKeyError(
      `${settings.host}:${settings.port} offers none of the pinned host key types. Pinned keys:\n${pinList}\n` +
        `Run \`${scan}\` from a trusted machine and update ${SshInputs.sshHostKey}.`
    )
  }
  if (level === 'client-authentication') {
    return new ConfigurationError(
      `${f.target} refused the key in input "${SshInputs.sshPrivateKey}"${publicFingerprint(settings)} for user "${settings.user}". ` +
        (settings.user === 'dokku'
          ? 'Is its public key added on the host with `dokku ssh-keys:add`? '
          : `Is its public key in ~${settings.user}/.ssh/authorized_keys on the host? `) +
        `Check also that "${SshInputs.sshUser}" is the right user.`,
      SshInputs.sshPrivateKey
    )
  }
  if (code === 'ENOTFOUND')
    return new SshConnectionError(`the host name "${settings.host}" does not resolve: check input "${SshInputs.host}"`, false, { cause: err })
  const reason = redact(err.message)
  const retryable =
    (typeof code === 'string' && RETRYABLE_CODES.has(code)) ||
    (level === 'client-timeout' && /handshake/i.test(err.message)) ||
    // A socket closed before the server's banner (ssh2) or before the handshake finished (node-ssh):
    // what a server dropping excess connections (MaxStartups) or still starting looks like.
    /Connection lost before handshake|No response from server/.test(err.message)
  return new SshConnectionError(`${reason}${typeof code === 'string' && !reason.includes(code) ? ` (${code})` : ''}`, retryable, { cause: err })
}

function publicFingerprint(settings: SshSettings): string {
  const parsed = ssh2.utils.parseKey(settings.privateKey, settings.passphrase)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (!key || key instanceof Error) return ''
  return ` (public key ${fingerprintOf(key.getPublicSSH())})`
}

/** The key the host presented on this connection (and that matched a pin, in pinned mode). */
export interface VerifiedHostKey {
  fingerprint: string
  keyType: string | undefined
  /** `<type> <base64>`: a known_hosts entry for other SSH clients (git push) to pin the same key. */
  publicKey: string
}

/** One SSH connection: commands run on exec channels, without a pty, one channel per command. */
export class SshExecutor implements RemoteExecutor {
  readonly shell: RemoteShell
  readonly hostKey: VerifiedHostKey
  readonly #client: Client
  readonly #target: string
  readonly #lastError: () => Error | undefined
  /** The commands running on this connection, each with what stops it. */
  readonly #running = new Map<ClientChannel, RunningCommand>()
  /** Commands waiting for a channel (more than maxChannels were asked for at once). */
  readonly #channels: ChannelSlots
  #socketClosed = false
  #closing: Promise<void> | undefined

  constructor(client: Client, shell: RemoteShell, target: string, hostKey: VerifiedHostKey, lastError: () => Error | undefined, maxChannels = DEFAULT_MAX_CHANNELS) {
    this.shell = shell
    this.hostKey = hostKey
    this.#client = client
    this.#target = target
    this.#lastError = lastError
    this.#channels = new ChannelSlots(Math.max(1, Math.floor(maxChannels)))
    client.once('close', () => {
      this.#socketClosed = true
    })
  }

  /** Quotes argv for the remote shell (see quote.ts) and runs it; an unsendable argument rejects before anything is sent. */
  async run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(buildRemoteCommand(this.shell, argv), options)
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const notOpen = (): SshConnectionError | undefined => {
      if (!this.#closing && !this.#socketClosed) return undefined
      const why = this.#closing ? 'it was closed' : `it was lost${this.#lastError() ? ` (${redact(this.#lastError()?.message ?? '')})` : ''}`
      return new SshConnectionError(`Cannot run \`${shortCommand(redact(command))}\`: the connection to ${this.#target} is not open, ${why}; the command did not run`, false)
    }
    const refused = notOpen()
    if (refused) throw refused
    // Beyond maxChannels the command waits here; its timeout counts from when its channel opens.
    let release: () => void
    try {
      release = await this.#channels.take()
    } catch (error) {
      // Closed while waiting: the command never started, and its streams must not wait for it.
      abandonStreams(options, error as Error)
      throw error
    }
    try {
      const closedMeanwhile = notOpen()
      if (closedMeanwhile) {
        abandonStreams(options, closedMeanwhile)
        throw closedMeanwhile
      }
      const context: ChannelContext = { target: this.#target, lastError: this.#lastError, running: this.#running, closing: () => this.#closing !== undefined }
      for (let attempt = 1; ; attempt++) {
        try {
          return await runOnChannel(this.#client, command, options, context)
        } catch (error) {
          // sshd frees a session a moment after the channel closed, so a slot freed here may still
          // be taken there: the refused command did not run and its streams are untouched, so it is
          // asked for again, a bounded number of times.
          if (!(error instanceof ChannelRefusedError) || attempt >= CHANNEL_OPEN_ATTEMPTS || notOpen()) {
            abandonStreams(options, error as Error)
            throw error
          }
          await sleep(Math.min(CHANNEL_RETRY_FIRST_MS * 2 ** (attempt - 1), CHANNEL_RETRY_MAX_MS))
        }
      }
    } finally {
      release()
    }
  }

  /** What is open, for a log line: the target and the commands still running on it (and waiting for a channel). */
  describe(): string {
    const commands = [...this.#running.values()].map((c) => `\`${c.shown}\``)
    const waiting = this.#channels.waiting
    return `SSH connection to ${this.#target}${commands.length > 0 ? ` running ${commands.join(', ')}` : ''}${waiting > 0 ? ` (${waiting} more waiting for a channel)` : ''}`
  }

  /**
   * Ends the connection; safe to call more than once. Commands still running are stopped first
   * (their exec rejects, their stdin and stdout streams are destroyed), so closing never waits
   * for them. No timer keeps the process alive afterwards.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#channels.refuseWaiting(() => new SshConnectionError(`A command waiting for a channel on ${this.#target} did not run: the connection was closed`, false))
      for (const command of [...this.#running.values()]) command.stop()
      if (this.#socketClosed) return resolve()
      const timer = setTimeout(() => {
        // The server did not answer the disconnect; drop the socket.
        this.#client.destroy()
        resolve()
      }, CLOSE_TIMEOUT_MS)
      timer.unref()
      this.#client.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.#client.end()
    })
    return this.#closing
  }
}

interface RunningCommand {
  shown: string
  stop(): void
}

/**
 * A counting semaphore over the connection's channels. sshd refuses a channel beyond its
 * MaxSessions ("open failed: administratively prohibited"), so a run that fans out (twenty apps'
 * reports at once) would fail part of its commands; here they wait their turn instead, first come
 * first served.
 */
class ChannelSlots {
  #free: number
  readonly #queue: { resolve: (release: () => void) => void; reject: (error: Error) => void }[] = []

  constructor(size: number) {
    this.#free = size
  }

  get waiting(): number {
    return this.#queue.length
  }

  take(): Promise<() => void> {
    if (this.#free > 0) {
      this.#free--
      return Promise.resolve(this.#releaser())
    }
    return new Promise((resolve, reject) => this.#queue.push({ resolve, reject }))
  }

  /** Rejects every command still waiting (the connection is closing); those running keep their slots. */
  refuseWaiting(error: () => Error): void {
    for (const waiter of this.#queue.splice(0)) waiter.reject(error())
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      if (next) next.resolve(this.#releaser())
      else this.#free++
    }
  }
}

/** The host refused to open a channel for a command (it did not run); see SshExecutor.exec. */
class ChannelRefusedError extends SshConnectionError {
  constructor(message: string, options: { cause: unknown }) {
    super(message, false, options)
  }
}

/** A command that never started: its input is not going to be read, its output sink never gets an end. */
function abandonStreams(options: ExecOptions, error: Error): void {
  const source = options.stdin !== undefined && !isBufferLike(options.stdin) ? options.stdin : undefined
  if (source && !source.readableEnded && !source.destroyed) source.destroy()
  if (options.stdout && !options.stdout.destroyed) {
    // As for a command that failed while running: the error is the exec's rejection; the sink's own is not news.
    options.stdout.once('error', () => undefined)
    options.stdout.destroy(error)
  }
}

interface ChannelContext {
  target: string
  lastError: () => Error | undefined
  /** Where the command is registered while its channel is open (SshExecutor.close stops them). */
  running: Map<ClientChannel, RunningCommand>
  /** True once the connection is being closed on purpose. */
  closing: () => boolean
}

function runOnChannel(client: Client, command: string, options: ExecOptions, context: ChannelContext): Promise<ExecResult> {
  const { target, lastError } = context
  const shown = shortCommand(redact(command))
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false
    let stopped = false
    let channel: ClientChannel | undefined
    let timer: NodeJS.Timeout | undefined
    const sink = options.stdout
    const source = options.stdin !== undefined && !isBufferLike(options.stdin) ? options.stdin : undefined

    // A command that ends before reading all its input leaves the stream paused for good; destroy
    // it so that whatever feeds it (a download, a dump) ends with an error instead of waiting.
    const releaseSource = (): void => {
      if (!source) return
      if (channel) source.unpipe(channel)
      if (!source.readableEnded && !source.destroyed) source.destroy()
    }
    const stop = (): void => {
      if (!channel) return
      stopped = true
      sendKill(channel)
      channel.close()
      if (sink) {
        channel.unpipe(sink)
        channel.resume() // drain what is buffered so ssh2 can finish closing the channel
      }
    }
    const fail = (error: Error, options_: { stopCommand: boolean }): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (options_.stopCommand) stop()
      releaseSource()
      // Destroyed, never ended: a consumer must not take truncated output for the whole of it.
      if (sink && !sink.destroyed) sink.destroy(error)
      reject(error)
    }

    const stderr = new TailBuffer(MAX_STDERR_BYTES)
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => fail(new CommandTimeoutError(shown, options.timeoutMs ?? 0, stderr.text()), { stopCommand: true }), options.timeoutMs)
    }

    client.exec(command, (error, opened) => {
      if (error && typeof (error as { reason?: unknown }).reason === 'number' && !settled) {
        // The host answered the channel open with a refusal (SSH_MSG_CHANNEL_OPEN_FAILURE; sshd's
        // MaxSessions gives "open failed"): nothing ran and no stream was touched, so it may be asked again.
        settled = true
        clearTimeout(timer)
        reject(new ChannelRefusedError(`Could not start \`${shown}\` on ${target}: ${redact(error.message)} (the host refused another channel); the command did not run`, { cause: error }))
        return
      }
      if (error) {
        fail(new SshConnectionError(`Could not start \`${shown}\` on ${target}: ${redact(error.message)}; the command did not run`, false, { cause: error }), { stopCommand: false })
        return
      }
      channel = opened
      if (settled || context.closing()) {
        // Timed out, or the connection began closing, while the channel was opening.
        stop()
        if (!settled) fail(stoppedByClose(shown, target), { stopCommand: false })
        return
      }
      context.running.set(opened, { shown, stop })
      let exit: { code: number | null; signal: string | null } | undefined
      let stdoutEnded = false
      let stderrEnded = false
      let channelClosed = false
      const stdoutChunks: Buffer[] = []
      const stdoutDecoder = new StringDecoder('utf8')
      const stderrDecoder = new StringDecoder('utf8')

      const finish = (): void => {
        if (settled || !stdoutEnded || !stderrEnded || !channelClosed) return
        releaseSource()
        // A character split across the last chunk is still owed to the callbacks.
        const stdoutRest = stdoutDecoder.end()
        const stderrRest = stderrDecoder.end()
        if (stdoutRest && options.onStdout && !sink) options.onStdout(stdoutRest)
        if (stderrRest && options.onStderr) options.onStderr(stderrRest)
        if (stopped) {
          // Stopped because the connection is being closed: whatever it printed is not the whole.
          fail(stoppedByClose(shown, target), { stopCommand: false })
          return
        }
        if (exit === undefined) {
          fail(
            new SshConnectionError(
              `The connection to ${target} was lost while \`${shown}\` was running; it may or may not have run, in part or in full`,
              false,
              { cause: lastError() }
            ),
            { stopCommand: false }
          )
          return
        }
        const result: ExecResult = { code: exit.code, signal: exit.signal, stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr: stderr.text() }
        if (!sink) {
          settled = true
          clearTimeout(timer)
          resolve(result)
          return
        }
        sink.end()
        finished(sink, (sinkError) => {
          if (settled) return
          if (sinkError) return fail(sinkError, { stopCommand: false })
          settled = true
          clearTimeout(timer)
          resolve(result)
        })
      }

      opened.on('exit', (code: number | null, signal?: string) => {
        exit = { code: typeof code === 'number' ? code : null, signal: typeof signal === 'string' ? signal : null }
      })
      opened.on('close', () => {
        context.running.delete(opened)
        channelClosed = true
        finish()
      })
      // Writes after the remote side closed are dropped by ssh2; errors here never mean lost output.
      opened.on('error', () => undefined)

      opened.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk)
        if (options.onStderr) options.onStderr(stderrDecoder.write(chunk))
      })
      opened.stderr.on('end', () => {
        stderrEnded = true
        finish()
      })

      if (sink) {
        sink.on('error', (sinkError: Error) => fail(sinkError, { stopCommand: true }))
        opened.pipe(sink, { end: false })
      } else {
        opened.on('data', (chunk: Buffer) => {
          stdoutChunks.push(chunk)
          if (options.onStdout) options.onStdout(stdoutDecoder.write(chunk))
        })
      }
      opened.on('end', () => {
        stdoutEnded = true
        finish()
      })

      const stdin = options.stdin
      if (stdin === undefined) opened.end()
      else if (isBufferLike(stdin)) opened.end(stdin)
      else {
        stdin.once('error', (stdinError: Error) =>
          // No EOF: the command must not mistake a cut-off input for a complete one. A forced
          // command cannot be signalled (sshd refuses), so closing the channel is all we can do.
          fail(new Error(`Reading the input of \`${shown}\` failed, so the command was stopped before its input was complete: ${stdinError.message}`, { cause: stdinError }), { stopCommand: true })
        )
        stdin.pipe(opened)
      }
    })
  })
}

function stoppedByClose(shown: string, target: string): SshConnectionError {
  return new SshConnectionError(`\`${shown}\` was stopped before it finished: the connection to ${target} was closed while it ran`, false)
}

const SHOWN_COMMAND_LENGTH = 300

/** Commands may carry 100 KiB of quoted data; messages show their start. */
function shortCommand(command: string): string {
  return command.length <= SHOWN_COMMAND_LENGTH ? command : `${command.slice(0, SHOWN_COMMAND_LENGTH)}… (${command.length} characters)`
}

function isBufferLike(value: Readable | Buffer | string): value is Buffer | string {
  return typeof value === 'string' || Buffer.isBuffer(value)
}

/**
 * ssh2's channel.signal() does nothing once our side has sent EOF (it checks `writable`), which
 * is exactly when a command that consumed its stdin hangs; send the request on the protocol then.
 * OpenSSH delivers it to the session's process group, except for forced commands, where it refuses.
 */
function sendKill(channel: ClientChannel): void {
  const internals = channel as unknown as {
    outgoing?: { state?: string; id?: number }
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } }
  }
  const state = internals.outgoing?.state
  const id = internals.outgoing?.id
  const protocol = internals._client?._protocol
  try {
    if ((state === 'open' || state === 'eof') && id !== undefined && typeof protocol?.signal === 'function') protocol.signal(id, 'KILL')
    else channel.signal('KILL')
  } catch {
    // The channel or connection is already gone.
  }
}

/** Keeps the last `limit` bytes, so a command that floods stderr cannot exhaust memory. */
class TailBuffer {
  readonly #limit: number
  #chunks: Buffer[] = []
  #size = 0
  #dropped = false

  constructor(limit: number) {
    this.#limit = limit
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#size += chunk.length
    while (this.#size > this.#limit && this.#chunks.length > 1) {
      this.#size -= (this.#chunks.shift() as Buffer).length
      this.#dropped = true
    }
  }

  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8')
    return this.#dropped ? `[earlier output dropped]\n${text}` : text
  }
}



