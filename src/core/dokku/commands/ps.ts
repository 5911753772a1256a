import { DokkuArgumentError } from '../errors.js'
import { targetArg, type Target } from '../forms.js'
import { mentions } from '../output.js'
import { parseScaleJson, parseScaleText } from '../parse/ps.js'
import type { Report } from '../parse/report.js'
import { CHANGED, checkApp, checkTarget, unchanged, type DokkuRunner, type Invocation, type Outcome, type StreamOptions } from '../runner.js'

export const PS_KEYS = ['dockerfile-start-cmd', 'procfile-path', 'restart-policy', 'restore', 'skip-deploy', 'start-cmd', 'stop-timeout-seconds'] as const
export type PsKey = (typeof PS_KEYS)[number]

export interface PsReport {
  /** A cached flag: false before the first successful deploy (a clone can inherit it, docs/dokku-contract.md#apps-clone). */
  readonly deployed: boolean
  readonly running: 'true' | 'false' | 'mixed' | string
  readonly processes: number
  /** Every key of the report (report.ts key style), e.g. `computed-restart-policy`, `status-web-1`. */
  readonly raw: Report
}

/** `ps:*` (docs/dokku-contract.md#ps). rebuild/restart/start deploy: their output streams through `onOutput`. */
export class PsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * `ps:rebuild <app>`: rebuilds from the app's repository, taking the deploy lock.
   * `unchanged('no-source')` when Dokku did nothing because the app has no repository (it exits 0 silently, docs/dokku-contract.md#ps-rebuild).
   */
  async rebuild(app: string, options: StreamOptions = {}): Promise<Outcome> {
    const invocation: Invocation = { argv: ['ps:rebuild', checkApp(app)], app, deploy: true, onOutput: options.onOutput }
    const result = await this.dokku.run(invocation)
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    if (result.stdout.trim() === '' && result.stderr.trim() === '') return unchanged('no-source')
    return CHANGED
  }

  /** `ps:restart <app> [<process-type>]`; `unchanged('not-deployed')` for an app never deployed (a warning and exit 0 in Dokku). */
  async restart(app: string, options: { processType?: string } & StreamOptions = {}): Promise<Outcome> {
    const type = options.processType
    if (type !== undefined && !/^[A-Za-z0-9_-]+$/.test(type)) throw new DokkuArgumentError(`"${type}" is not a process type name.`)
    const argv = ['ps:restart', checkApp(app), ...(type === undefined ? [] : [type])]
    return this.lifecycle({ argv, app, deploy: true, onOutput: options.onOutput })
  }

  /** `ps:stop <app>`; `unchanged('not-deployed')` for an app never deployed. */
  async stop(app: string): Promise<Outcome> {
    return this.lifecycle({ argv: ['ps:stop', checkApp(app)], app })
  }

  /** `ps:scale [--skip-deploy] <app> type=n…`: redeploys only the types whose count changed, unless `skipDeploy`. */
  async scale(app: string, counts: Readonly<Record<string, number>>, options: { skipDeploy?: boolean } & StreamOptions = {}): Promise<void> {
    const tuples = Object.entries(counts).map(([type, count]) => {
      if (!/^[A-Za-z0-9_-]+$/.test(type) || !Number.isInteger(count) || count < 0)
        throw new DokkuArgumentError(`Invalid scale ${type}=${count}: use a process type name and a whole number of at least 0.`)
      return `${type}=${count}`
    })
    if (tuples.length === 0) throw new DokkuArgumentError('ps:scale needs at least one process type.')
    const argv = ['ps:scale', ...(options.skipDeploy ? ['--skip-deploy'] : []), checkApp(app), ...tuples]
    await this.dokku.runOk({ argv, app, deploy: !options.skipDeploy, onOutput: options.onOutput })
  }

  /** The stored scale per process type (`ps:scale <app>`; JSON from 0.38.21). */
  async getScale(app: string): Promise<Record<string, number>> {
    const json = this.dokku.features.psScaleJson
    const argv = json ? ['ps:scale', checkApp(app), '--format', 'json'] : ['--quiet', 'ps:scale', checkApp(app)]
    const result = await this.dokku.runOk({ argv, app })
    return json ? parseScaleJson(result.stdout) : parseScaleText(result.stdout)
  }

  /** `ps:set <app>|--global <key> [<value>]`: takes effect on the next deploy. */
  async set(target: Target, key: PsKey, value?: string): Promise<void> {
    if (!PS_KEYS.includes(key)) throw new DokkuArgumentError(`Unknown ps property "${String(key)}"; valid: ${PS_KEYS.join(', ')}.`)
    const argv = ['ps:set', targetArg(checkTarget(target)), key, ...(value === undefined ? [] : [value])]
    await this.dokku.runOk(typeof target === 'string' ? { argv, app: target } : { argv })
  }

  async report(app: string): Promise<PsReport> {
    const raw = await this.dokku.report('ps', checkApp(app))
    return { deployed: raw['deployed'] === 'true', running: raw['running'] ?? '', processes: Number(raw['processes'] ?? 0) || 0, raw }
  }

  private async lifecycle(invocation: Invocation): Promise<Outcome> {
    const result = await this.dokku.run(invocation)
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    if (mentions(result, 'has not been deployed')) return unchanged('not-deployed')
    return CHANGED
  }
}
