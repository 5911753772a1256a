import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { mentions, sanitizeOutput } from '../output.js'
import { parseBuildsReport, type BuildSummary } from '../parse/builds.js'
import { CHANGED, checkApp, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

/** `builds:*` (docs/dokku-contract.md#builds; Dokku 0.38+): records and captured logs of builds and deploys. */
export class BuildsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** The most recent build record (`builds:report <app>`). */
  async report(app: string): Promise<BuildSummary> {
    this.require()
    return parseBuildsReport(await this.dokku.report('builds', checkApp(app)))
  }

  /**
   * The captured log of a build (`builds:output <app> <id>`): merged stdout and stderr, URL passwords
   * masked. An explicit id is required: `current` follows a running build with `tail -f` and does
   * not return when it ends (docs/dokku-contract.md#builds); the timeout (default 60 s) bounds a still-running one.
   */
  async output(app: string, buildId: string, options: { timeoutMs?: number } = {}): Promise<string> {
    this.require()
    if (!/^[a-z0-9]+$/.test(buildId)) throw new DokkuArgumentError(`"${buildId}" is not a build id (14 lowercase base36 characters).`)
    const result = await this.dokku.runOk({ argv: ['builds:output', checkApp(app), buildId], app, timeoutMs: options.timeoutMs ?? 60_000 })
    return sanitizeOutput(result.stdout)
  }

  /**
   * `builds:cancel <app>`: kills the build that holds the app's deploy lock (SIGQUIT to its process
   * group) and removes the lock file. Outcome `unchanged('absent')` when nothing was deploying or the
   * build had already ended (docs/dokku-contract.md#builds).
   */
  async cancel(app: string): Promise<Outcome> {
    this.require()
    const result = await this.dokku.runOk({ argv: ['builds:cancel', checkApp(app)], app })
    return mentions(result, 'Killing app deploy') ? CHANGED : unchanged('absent')
  }

  private require(): void {
    if (!this.dokku.features.builds) throw new DokkuFeatureUnavailableError('`builds:*`', '0.38.0', this.dokku.features.version.raw)
  }
}

/** `logs:failed` (docs/dokku-contract.md#logs-failed). */
export class LogsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * The logs of containers that failed their checks during the last deploy (docker-local only), URL
   * passwords masked; '' when there are none (Dokku says "No failed containers found" and exits 0).
   * Build failures leave nothing here: read `builds.output` for those.
   */
  /**
   * `logs <app> --num <n> --quiet`: the last lines of the app's running container(s), URL passwords
   * masked. For error messages when an app does not come up (no container: '').
   */
  async recent(app: string, lines: number): Promise<string> {
    if (!Number.isInteger(lines) || lines < 1 || lines > 10_000) throw new DokkuArgumentError(`Cannot read ${lines} log lines: ask for 1 to 10000.`)
    const result = await this.dokku.runOk({ argv: ['logs', checkApp(app), '--num', String(lines), '--quiet'], app })
    return sanitizeOutput(result.stdout).trim()
  }

  async failed(app: string): Promise<string> {
    const result = await this.dokku.runOk({ argv: ['logs:failed', checkApp(app)], app })
    if (mentions(result, 'No failed containers found')) return ''
    return sanitizeOutput(
      result.stdout
        .split('\n')
        .filter((line) => !/^=====> .* failed deploy logs$/.test(line))
        .join('\n')
    ).trim()
  }
}
