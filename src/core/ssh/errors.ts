import { formatDuration } from '../format.js'
import { redact } from '../secrets.js'

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

const TAIL_LINES = 20

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}
