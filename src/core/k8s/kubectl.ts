// The one client for Kubernetes: the runner's `kubectl` binary, with the kubeconfig from a secret
// written to a mode-600 file in a private temporary directory for the run and removed after it.
// Arguments go to kubectl as an argv array (no shell); kubectl hands `exec` commands to the
// container runtime as an argv as well, so file names with any byte but NUL travel intact.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { RemoteCommandError } from '../ssh/errors.js'
import type { Logger } from '../log.js'
import { registerSecret } from '../secrets.js'

/** Where a command runs: a pod (`uro-0`) or a workload kubectl resolves to one (`deploy/uro-deployment`), and its container. */
export interface PodTarget {
  readonly pod: string
  readonly container?: string | undefined
}

export interface KubectlSettings {
  /** The kubectl binary (a path, or a name looked up on PATH). */
  readonly binary: string
  readonly namespace: string
  readonly logger: Logger
}

export interface KubectlResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface ExecStreamOptions {
  /** Fed to the command's stdin (`kubectl exec -i`); without it the command gets no stdin. */
  readonly stdin?: Readable | string
  readonly timeoutMs?: number
  /** Stops the command (SIGTERM to kubectl) when aborted: a read nobody waits for any more. */
  readonly signal?: AbortSignal
}

/** A Kubernetes object name, or `kind/name` for a workload (DNS-1123 subdomain rules). */
export const POD_TARGET = /^([a-z][a-z0-9.-]*\/)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/
export const K8S_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/

const MAX_COLLECTED = 64 * 1024 * 1024
const STDERR_TAIL = 64 * 1024

/**
 * Runs `fn` with a client whose kubeconfig lives only for the call: a mode-600 file in a mode-700
 * directory of its own (under RUNNER_TEMP on a runner), removed afterwards whatever happens. The
 * content is registered as a secret.
 */
export async function withKubeconfig<T>(kubeconfig: string, settings: KubectlSettings, fn: (kubectl: Kubectl) => Promise<T>): Promise<T> {
  registerSecret(kubeconfig)
  // RUNNER_TEMP is emptied by the runner after every job: a run killed before `finally` leaves
  // nothing behind there, unlike /tmp on a self-hosted runner.
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'dokku-stack-kube-'))
  const path = join(dir, 'config')
  try {
    await writeFile(path, kubeconfig, { mode: 0o600, flag: 'wx' })
    return await fn(new Kubectl(path, settings))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export class Kubectl {
  readonly kubeconfigPath: string
  private readonly settings: KubectlSettings

  constructor(kubeconfigPath: string, settings: KubectlSettings) {
    this.kubeconfigPath = kubeconfigPath
    this.settings = settings
  }

  /**
   * `kubectl get secret <name> -o json`: the Secret's `.data`, values as Kubernetes keeps them
   * (base64). They are registered as secrets and never decoded here.
   */
  async secretData(name: string, options: { signal?: AbortSignal } = {}): Promise<Record<string, string>> {
    const result = await this.run(['get', 'secret', name, '-o', 'json'], { signal: options.signal })
    if (result.code !== 0) throw this.failure(['get', 'secret', name, '-o', 'json'], result)
    let parsed: unknown
    try {
      parsed = JSON.parse(result.stdout)
    } catch {
      throw new Error(`kubectl get secret ${name} -o json did not print JSON`)
    }
    const data = (parsed as { data?: unknown }).data ?? {}
    if (typeof data !== 'object' || data === null) throw new Error(`Secret ${name} has no .data object`)
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      if (typeof value !== 'string') continue
      registerSecret(value)
      out[key] = value
    }
    return out
  }

  /** `kubectl exec [-i] <pod> [-c c] -- argv…`, output collected (bounded): the stdout; throws unless it exits 0. */
  async execOk(target: PodTarget, argv: readonly string[], options: ExecStreamOptions = {}): Promise<string> {
    const args = this.execArgs(target, argv, options.stdin !== undefined)
    const result = await this.run(args, { stdin: options.stdin, timeoutMs: options.timeoutMs, signal: options.signal })
    if (result.code !== 0) throw this.failure(args, result)
    return result.stdout
  }

  /**
   * `kubectl exec` with its stdout piped into `sink` (backpressure end to end): resolves once both
   * the command and the sink are done; rejects when the command exits non-zero (the sink is then
   * destroyed, so a truncated stream never looks complete) or the sink fails (the command is killed).
   */
  async execTo(target: PodTarget, argv: readonly string[], sink: Writable, options: ExecStreamOptions = {}): Promise<void> {
    const args = this.execArgs(target, argv, options.stdin !== undefined)
    const child = this.spawn(args, options.stdin !== undefined)
    const stderr = collect(child.stderr, STDERR_TAIL)
    const exited = exitOf(child)
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined
    feed(child.stdin, options.stdin)
    // Handled from the start: a sink that fails while the command still runs must not become an
    // unhandled rejection; it stops the command instead, and is reported once it has exited.
    let sinkError: unknown
    const piping = pipeline(child.stdout as Readable, sink).then(
      () => undefined,
      (error: unknown) => {
        sinkError = error
        child.kill('SIGTERM')
      }
    )
    try {
      const code = await exited
      if (code !== 0 && sinkError === undefined) {
        const error = this.failure(args, { code, stdout: '', stderr: stderr.text() })
        sink.destroy(error)
        await piping
        throw error
      }
      await piping
      if (sinkError !== undefined) throw sinkError
    } finally {
      if (timer) clearTimeout(timer)
    }
  }

  private execArgs(target: PodTarget, argv: readonly string[], stdin: boolean): string[] {
    return ['exec', ...(stdin ? ['-i'] : []), target.pod, ...(target.container ? ['-c', target.container] : []), '--', ...argv]
  }

  private async run(args: readonly string[], options: { stdin?: Readable | string | undefined; timeoutMs?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<KubectlResult> {
    options.signal?.throwIfAborted()
    this.settings.logger.debug(`running kubectl ${args.join(' ')}`)
    const child = this.spawn(args, options.stdin !== undefined)
    const stdout = collect(child.stdout, MAX_COLLECTED)
    const stderr = collect(child.stderr, STDERR_TAIL)
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined
    const stop = (): void => void child.kill('SIGTERM')
    options.signal?.addEventListener('abort', stop, { once: true })
    feed(child.stdin, options.stdin)
    try {
      const code = await exitOf(child)
      await Promise.all([stdout.done, stderr.done])
      options.signal?.throwIfAborted()
      if (stdout.truncated) throw new Error(`kubectl ${args[0]} printed more than ${MAX_COLLECTED} bytes`)
      return { code, stdout: stdout.text(), stderr: stderr.text() }
    } finally {
      if (timer) clearTimeout(timer)
      options.signal?.removeEventListener('abort', stop)
    }
  }

  private spawn(args: readonly string[], withStdin: boolean) {
    // The kubeconfig path and namespace first: the same for every call, and never a secret.
    const full = ['--kubeconfig', this.kubeconfigPath, '--namespace', this.settings.namespace, ...args]
    const child = spawn(this.settings.binary, full, { stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: this.kubeconfigPath } })
    return child
  }

  private failure(args: readonly string[], result: KubectlResult): RemoteCommandError {
    return new RemoteCommandError({ command: `kubectl ${args.join(' ')}`, exitCode: result.code, stderr: result.stderr })
  }
}

function feed(stdin: Writable | null, input: Readable | string | undefined): void {
  if (!stdin) return
  stdin.on('error', () => undefined)
  if (input === undefined) return
  if (typeof input === 'string') stdin.end(input)
  else pipeline(input, stdin).catch(() => undefined)
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`kubectl was not found (${String(child.spawnfile)}): install it on the runner (e.g. azure/setup-kubectl) or set the kubectl input`) : error)
    )
    child.once('close', (code) => resolve(code))
  })
}

function collect(stream: Readable | null, limit: number): { text(): string; done: Promise<void>; truncated: boolean } {
  const chunks: Buffer[] = []
  let size = 0
  const state = {
    truncated: false,
    text: () => Buffer.concat(chunks).toString('utf8'),
    done: Promise.resolve()
  }
  if (!stream) return state
  state.done = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        state.truncated = true
        // Keep the tail: it says why a command failed.
        chunks.push(chunk)
        size += chunk.length
        while (size > limit && chunks.length > 1) size -= (chunks.shift() as Buffer).length
        return
      }
      chunks.push(chunk)
      size += chunk.length
    })
    stream.once('end', () => resolve())
    stream.once('error', () => resolve())
  })
  return state
}
