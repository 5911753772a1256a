import type { Writable } from 'node:stream'
import type { Logger } from '../log.js'
import { redact } from '../secrets.js'
import { posixQuote } from '../ssh/quote.js'
import type { ExecOptions, ExecResult, RemoteExecutor } from '../ssh/types.js'
import {
  AppNotFoundError,
  DeployLockedError,
  DokkuArgumentError,
  DokkuCommandError,
  RootRequiredError,
  type DokkuCommandErrorParams
} from './errors.js'
import { GLOBAL, parseReport, reportRequest, type ReportKind, type Target } from './forms.js'
import { ConfigEchoFilter, LineEmitter, maskUrlCredentials, mentions, sanitizeOutput } from './output.js'
import { appNameProblem, configKeyProblem, serviceNameProblem } from './names.js'
import { readKind, ReadMemo } from './read-memo.js'
import type { Report } from './parse/report.js'
import type { DokkuFeatures } from './version.js'

/** Why a command changed nothing (see each method for which it returns). */
export type UnchangedReason =
  /** it already exists (app, network, service, mount, plugin) */
  | 'exists'
  /** the service is already linked to the app */
  | 'linked'
  /** it was not there to remove (link, lock) */
  | 'absent'
  /** git:from-* built nothing: the build context equals the last commit */
  | 'no-changes'
  /** git:sync --build-if-changes: the ref did not move */
  | 'build-skipped'
  /** ps:rebuild on an app without a git repository: Dokku does nothing, silently */
  | 'no-source'
  /** ps:restart / stop / start on an app that was never deployed */
  | 'not-deployed'
  /** an ensure… helper found the host already as asked */
  | 'up-to-date'

export type Outcome = { readonly changed: true } | { readonly changed: false; readonly reason: UnchangedReason }

export const CHANGED: Outcome = Object.freeze({ changed: true })
export function unchanged(reason: UnchangedReason): Outcome {
  return { changed: false, reason }
}

/** Streams build/deploy output line by line (sanitized and redacted) as it arrives. */
export interface StreamOptions {
  onOutput?: (line: string) => void
}

/** One dokku invocation and what the client knows about it. */
export interface Invocation {
  /** Words after `dokku`, exactly as the subcommand must receive them. */
  readonly argv: readonly string[]
  /** The argv as shown in logs and errors, with secrets elided (default: argv). */
  readonly shown?: readonly string[]
  /** The app the command names: exit code 20 then means that app does not exist (docs/dokku-contract.md#exit-codes). */
  readonly app?: string
  readonly stdin?: ExecOptions['stdin']
  readonly stdout?: Writable
  readonly timeoutMs?: number
  /** A deploy path: from 0.38 its failure text is on stdout (build capture, docs/dokku-contract.md#build-capture), and it takes the deploy lock. */
  readonly deploy?: boolean
  /** Its output echoes config values in clear (docs/dokku-contract.md#config-set): they are dropped before anything is shown. */
  readonly echoesConfig?: boolean
  /** Must run as root (docs/dokku-contract.md#root-and-sudo): refused up front over the dokku user's forced command. */
  readonly rootOnly?: boolean
  readonly onOutput?: (line: string) => void
}

/** Runs dokku commands for the client and turns their failures into typed errors. */
export class DokkuRunner {
  readonly features: DokkuFeatures
  readonly logger: Logger
  private readonly executor: RemoteExecutor
  /** Set while a run remembers its reads (see read-memo.ts). */
  #memo: ReadMemo | undefined

  constructor(executor: RemoteExecutor, logger: Logger, features: DokkuFeatures) {
    this.executor = executor
    this.logger = logger
    this.features = features
  }

  /** From now on, a read sent twice is answered once until a write could change it (read-memo.ts). */
  rememberReads(): void {
    this.#memo ??= new ReadMemo()
  }

  /** Drops every remembered answer: the host was changed by something other than this runner (a git push). */
  forgetReads(): void {
    this.#memo?.forget()
  }

  /** Runs the command; never throws for an exit code (callers decide what each code means). */
  async run(invocation: Invocation): Promise<ExecResult> {
    const memo = this.#memo
    if (memo === undefined) return this.send(invocation)
    const kind = readKind(invocation.argv)
    const plain = invocation.stdin === undefined && invocation.stdout === undefined && invocation.onOutput === undefined && !invocation.deploy
    if (kind === 'remember' && plain) return memo.read(invocation.argv, () => this.send(invocation))
    if (kind === 'read') return this.send(invocation)
    memo.forget(invocation.argv)
    try {
      return await this.send(invocation)
    } finally {
      memo.forget(invocation.argv)
    }
  }

  private async send(invocation: Invocation): Promise<ExecResult> {
    if (invocation.rootOnly && this.executor.shell === 'dokku-forced-command') throw new RootRequiredError(invocation.argv.join(' '))
    this.logger.debug(`running ${this.display(invocation)}`)
    const options: ExecOptions = {}
    if (invocation.stdin !== undefined) options.stdin = invocation.stdin
    if (invocation.stdout !== undefined) options.stdout = invocation.stdout
    if (invocation.timeoutMs !== undefined) options.timeoutMs = invocation.timeoutMs
    const emitters: LineEmitter[] = []
    const onOutput = invocation.onOutput
    if (onOutput) {
      const filter = invocation.echoesConfig ? new ConfigEchoFilter() : undefined
      const emit = (line: string) => {
        const shown = filter ? filter.line(line) : line
        if (shown !== undefined) onOutput(redact(maskUrlCredentials(shown)))
      }
      const out = new LineEmitter(emit)
      const err = new LineEmitter(emit)
      emitters.push(out, err)
      options.onStdout = (chunk) => out.push(chunk)
      options.onStderr = (chunk) => err.push(chunk)
    }
    try {
      return await this.executor.run([...invocation.argv], options)
    } finally {
      for (const emitter of emitters) emitter.flush()
    }
  }

  /** Runs the command and throws unless it exits 0. */
  async runOk(invocation: Invocation): Promise<ExecResult> {
    const result = await this.run(invocation)
    if (result.code !== 0) throw this.failure(invocation, result)
    return result
  }

  /** The typed error for a failed command: AppNotFoundError for exit 20, DeployLockedError for a lock collision. */
  failure(invocation: Invocation, result: ExecResult, reason?: string): DokkuCommandError {
    const params = this.errorParams(invocation, result, reason)
    if (result.code === 20 && invocation.app !== undefined) return new AppNotFoundError(invocation.app, params)
    if (invocation.deploy && invocation.app !== undefined && mentions(result, 'currently has a deploy lock in place'))
      return new DeployLockedError(invocation.app, params)
    return new DokkuCommandError(params)
  }

  errorParams(invocation: Invocation, result: ExecResult, reason?: string): DokkuCommandErrorParams {
    const sanitize = (text: string) => sanitizeOutput(text, { echoesConfig: invocation.echoesConfig ?? false })
    const params: DokkuCommandErrorParams = {
      command: this.display(invocation),
      exitCode: result.code,
      stdout: sanitize(result.stdout),
      stderr: sanitize(result.stderr),
      failureOnStdout: (invocation.deploy ?? false) && this.features.buildCapture
    }
    if (reason !== undefined) params.reason = reason
    return params
  }

  /** Reads a whole `:report` in the form the host's version prints best (forms.ts). */
  async report(kind: ReportKind, target: Target): Promise<Report> {
    const request = reportRequest(kind, target, this.features)
    const invocation: Invocation = target === GLOBAL ? { argv: request.argv } : { argv: request.argv, app: target }
    const result = await this.runOk(invocation)
    return parseReport(result.stdout, request)
  }

  /** `dokku …` as people should see it: quoted, secrets elided, redacted. */
  display(invocation: Invocation): string {
    return redact(['dokku', ...(invocation.shown ?? invocation.argv)].map(posixQuote).join(' '))
  }
}

// Names are checked before anything is sent, so that a bad name fails with a clear message
// instead of an argument Dokku would read differently.

export function checkApp(app: string): string {
  const problem = appNameProblem(app)
  if (problem) throw new DokkuArgumentError(`"${app}" ${problem}.`)
  return app
}

export function checkService(service: string): string {
  const problem = serviceNameProblem(service)
  if (problem) throw new DokkuArgumentError(`"${service}" ${problem}.`)
  return service
}

export function checkConfigKey(key: string): string {
  const problem = configKeyProblem(key)
  if (problem) throw new DokkuArgumentError(`"${key}" ${problem}.`)
  return key
}

export function checkTarget(target: Target): Target {
  return target === GLOBAL ? target : checkApp(target)
}

/** Rejects an argument Dokku would read as a flag of its own (a value starting with `-`). */
export function checkNotFlag(what: string, value: string): string {
  if (value.startsWith('-')) throw new DokkuArgumentError(`${what} "${value}" cannot start with "-": Dokku would read it as a flag.`)
  return value
}
