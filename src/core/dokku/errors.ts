import { RemoteCommandError } from '../ssh/errors.js'
import { redact } from '../secrets.js'
import { maskUrlCredentials } from './output.js'

export interface DokkuCommandErrorParams {
  /** The command as shown to people: secrets already elided. */
  command: string
  exitCode: number | null
  stdout: string
  stderr: string
  /** Replaces "exited with code N" in the message. */
  reason?: string
  /**
   * Dokku wrote its failure text on stdout: from 0.38 every deploy path runs inside the build
   * capture, which merges stderr onto stdout (docs/dokku-contract.md#build-capture).
   */
  failureOnStdout?: boolean
}

/**
 * A dokku command failed, or exited 0 without doing what was asked. The message holds the
 * command (redacted), the exit code and the tail of the stream Dokku printed its failure on.
 */
export class DokkuCommandError extends RemoteCommandError {
  /** The tail of the failure text, from the stream Dokku used for it (redacted). */
  readonly failureText: string

  constructor(params: DokkuCommandErrorParams) {
    super(params)
    this.name = 'DokkuCommandError'
    this.failureText = params.failureOnStdout ? this.stdoutTail || this.stderrTail : this.stderrTail || this.stdoutTail
    const what = params.reason ?? (params.exitCode === null ? 'was cut off' : `exited with code ${params.exitCode}`)
    this.message = `\`${this.command}\` ${what}${this.failureText ? `:\n${this.failureText}` : ''}`
  }
}

/** Exit code 20: the app does not exist (docs/dokku-contract.md#exit-codes). */
export class AppNotFoundError extends DokkuCommandError {
  readonly app: string
  constructor(app: string, params: DokkuCommandErrorParams) {
    super({ ...params, reason: params.reason ?? `failed: app "${app}" does not exist on the Dokku host (exit code 20)` })
    this.name = 'AppNotFoundError'
    this.app = app
  }
}

/** A dokku-postgres / dokku-redis service does not exist (exit code 1, docs/dokku-contract.md#services, #redis). */
export class ServiceNotFoundError extends DokkuCommandError {
  readonly plugin: string
  readonly service: string
  constructor(plugin: string, service: string, params: DokkuCommandErrorParams) {
    super({ ...params, reason: params.reason ?? `failed: ${plugin} service "${service}" does not exist` })
    this.name = 'ServiceNotFoundError'
    this.plugin = plugin
    this.service = service
  }
}

/** Another deploy holds the app's deploy lock; Dokku does not wait (docs/dokku-contract.md#deploy-lock). */
export class DeployLockedError extends DokkuCommandError {
  readonly app: string
  constructor(app: string, params: DokkuCommandErrorParams) {
    super({
      ...params,
      reason:
        params.reason ??
        `failed: another deploy of "${app}" holds its deploy lock. Serialize deploys (a GitHub \`concurrency:\` group), or run \`ps:rebuild ${app}\` once the other deploy has finished`
    })
    this.name = 'DeployLockedError'
    this.app = app
  }
}

/** The command exited 0 but did not do what was asked (docs/dokku-contract.md#silent-success). */
export class UnfulfilledCommandError extends DokkuCommandError {
  constructor(reason: string, params: DokkuCommandErrorParams) {
    super({ ...params, reason })
    this.name = 'UnfulfilledCommandError'
  }
}

/** The host runs a Dokku older than the toolkit supports. */
export class UnsupportedDokkuVersionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedDokkuVersionError'
  }
}

/** A command or form that the host's Dokku version does not have. */
export class DokkuFeatureUnavailableError extends Error {
  constructor(what: string, needed: string, found: string) {
    super(`${what} needs Dokku ${needed} or newer; the host runs ${found}. Upgrade Dokku on the host.`)
    this.name = 'DokkuFeatureUnavailableError'
  }
}

/** A root-only command (docs/dokku-contract.md#root-and-sudo) was asked of a connection that runs as the dokku user. */
export class RootRequiredError extends Error {
  constructor(command: string) {
    super(
      `\`dokku ${command}\` must run as root, but this connection logs in as the dokku user, whose forced command refuses it ` +
        `("This command must be run as root"). Connect as root (ssh-user: root) or as a user allowed to run dokku through sudo.`
    )
    this.name = 'RootRequiredError'
  }
}

/** An argument the client refuses before anything is sent (invalid name, global-only key on an app…). */
export class DokkuArgumentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DokkuArgumentError'
  }
}

/** Dokku printed something the parser does not recognise. */
export class DokkuParseError extends Error {
  constructor(what: string, output: string, expected: string) {
    const excerpt = redact(maskUrlCredentials(output.length > 400 ? `${output.slice(0, 400)}…` : output))
    super(`Could not read ${what}: ${expected}; got ${JSON.stringify(excerpt)}`)
    this.name = 'DokkuParseError'
  }
}
