import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { mentions, sanitizeOutput } from '../output.js'
import { CHANGED, checkApp, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

/** `builds:*` (docs/dokku-contract.md#builds; Dokku 0.38+): records and captured logs of builds and deploys. */
export class BuildsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
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

/** `logs`: what the app's containers printed. */
export class LogsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * `logs <app> --num <n> --quiet`: the last lines of the app's running container(s), URL passwords
   * masked. For error messages when an app does not come up (no container: '').
   */
  async recent(app: string, lines: number): Promise<string> {
    if (!Number.isInteger(lines) || lines < 1 || lines > 10_000) throw new DokkuArgumentError(`Cannot read ${lines} log lines: ask for 1 to 10000.`)
    const result = await this.dokku.runOk({ argv: ['logs', checkApp(app), '--num', String(lines), '--quiet'], app })
    return sanitizeOutput(result.stdout).trim()
  }
}
