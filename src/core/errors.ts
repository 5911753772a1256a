import { redact } from './secrets.js'

/** A mistake the user can fix in the workflow: the message names the input, the bad value and the fix. */
export class ConfigurationError extends Error {
  readonly input: string | undefined
  constructor(message: string, input?: string) {
    super(message)
    this.name = 'ConfigurationError'
    this.input = input
  }
}

/** The host presented a key that is not pinned (or pins are malformed). Never retried. */
export class HostKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HostKeyError'
  }
}

/** The SSH connection could not be established or was lost before a command could have run. */
export class SshConnectionError extends Error {
  readonly retryable: boolean
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SshConnectionError'
    this.retryable = retryable
  }
}

/** A remote command ran (or may have run) and did not succeed. Carries the redacted command, the exit code and the tail of stderr. */
export class RemoteCommandError extends Error {
  readonly command: string
  readonly exitCode: number | null
  readonly stderrTail: string
  readonly stdoutTail: string
  constructor(params: { command: string; exitCode: number | null; stderr: string; stdout?: string; reason?: string }) {
    const command = redact(params.command)
    const stderrTail = tail(redact(params.stderr))
    const stdoutTail = tail(redact(params.stdout ?? ''))
    const what = params.reason ?? (params.exitCode === null ? 'was cut off' : `exited with code ${params.exitCode}`)
    const detail = stderrTail || stdoutTail
    super(`\`${command}\` ${what}${detail ? `:\n${detail}` : ''}`)
    this.name = 'RemoteCommandError'
    this.command = command
    this.exitCode = params.exitCode
    this.stderrTail = stderrTail
    this.stdoutTail = stdoutTail
  }
}

/** A remote command did not finish within its time limit; the channel was closed. */
export class CommandTimeoutError extends RemoteCommandError {
  constructor(command: string, timeoutMs: number, stderr: string) {
    super({ command, exitCode: null, stderr, reason: `did not finish within ${formatDuration(timeoutMs)} and was stopped` })
    this.name = 'CommandTimeoutError'
  }
}

/** An action whose issue has not landed yet: it fails loudly instead of pretending to work. */
export class NotImplementedError extends Error {
  constructor(action: string) {
    super(`${action} is not implemented yet in this version of dokku-stack; no change was made to the host.`)
    this.name = 'NotImplementedError'
  }
}

export function errorMessage(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
}

const TAIL_LINES = 20

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
  return `${Math.round(s / 60)} min`
}
