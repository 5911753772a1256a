import { DokkuArgumentError } from '../errors.js'
import type { Report } from '../parse/report.js'
import { checkApp, type DokkuRunner } from '../runner.js'

export interface ChecksReport {
  /** `none`, `_all_`, or process types. */
  readonly disabled: readonly string[]
  readonly skipped: readonly string[]
  /** Seconds before old containers are retired (computed value where reported). */
  readonly waitToRetire: string
  readonly raw: Report
}

function processList(processTypes: readonly string[]): string[] {
  for (const type of processTypes)
    if (!/^[A-Za-z0-9_-]+$/.test(type)) throw new DokkuArgumentError(`"${type}" is not a process type name.`)
  return processTypes.length === 0 ? [] : [processTypes.join(',')]
}

/** `checks:*` (docs/dokku-contract.md#checks). Health checks themselves belong in app.json; `checks:set` only knows `wait-to-retire`. */
export class ChecksCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * `checks:disable <app> [types]`: old containers stop before new ones start (idempotent). Needed for
   * singletons holding a data directory, such as a single-node database (docs/dokku-contract.md#cockroach-app).
   */
  async disable(app: string, processTypes: readonly string[] = []): Promise<void> {
    await this.dokku.runOk({ argv: ['checks:disable', checkApp(app), ...processList(processTypes)], app })
  }

  async report(app: string): Promise<ChecksReport> {
    const raw = await this.dokku.report('checks', checkApp(app))
    const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
    return {
      disabled: list(raw['disabled-list']),
      skipped: list(raw['skipped-list']),
      waitToRetire: raw['computed-wait-to-retire'] ?? raw['wait-to-retire'] ?? '',
      raw
    }
  }
}
