import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { caddySetArgv, caddySettingsFromReport, GLOBAL, type CaddyKey, type CaddySettings, type Target } from '../forms.js'
import { parseCaddyLabels } from '../parse/caddy.js'
import { mentions } from '../output.js'
import { checkApp, checkTarget, type DokkuRunner } from '../runner.js'

/**
 * The built-in caddy proxy (docs/dokku-contract.md#caddy). Routes are labels on web containers, applied at
 * deploy time: label, domain and port changes need a redeploy or `ps:rebuild`. Global settings
 * (image, letsencrypt-*, log-level, polling-interval) need `caddy:stop` then `caddy:start`.
 */
export class CaddyCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * `caddy:set <app>|--global <key> [<value>]`; no value unsets. Global-only keys are refused for
   * an app before anything is sent (Dokku < 0.38.3 would accept and ignore them).
   */
  async set(target: Target, key: CaddyKey, value?: string): Promise<void> {
    const argv = caddySetArgv(checkTarget(target), key, value, this.dokku.features)
    await this.dokku.runOk(typeof target === 'string' ? { argv, app: target } : { argv })
  }

  /** The settings in effect for an app, or (`GLOBAL`, 0.38.6+) the raw global values ('' when unset). */
  async report(target: Target): Promise<CaddySettings> {
    const features = this.dokku.features
    if (target === GLOBAL && !features.caddyComputedReport)
      throw new DokkuFeatureUnavailableError('Reading global caddy settings (`caddy:report --global`)', '0.38.6', features.version.raw)
    const report = await this.dokku.report('caddy', checkTarget(target))
    return caddySettingsFromReport(report, target, features)
  }

  /**
   * `caddy:labels:add <app> <label> <value>` (0.37+): replaces the label's value; applied at the next
   * deploy. An empty value cannot pass the dokku user's forced command (docs/dokku-contract.md#forced-command) and is refused by the transport.
   */
  async addLabel(app: string, label: string, value: string): Promise<void> {
    this.requireLabels()
    await this.dokku.runOk({ argv: ['caddy:labels:add', checkApp(app), checkLabel(label), value], app })
  }

  /** `caddy:labels:remove <app> <label>` (0.37+), idempotent. */
  async removeLabel(app: string, label: string): Promise<void> {
    this.requireLabels()
    await this.dokku.runOk({ argv: ['caddy:labels:remove', checkApp(app), checkLabel(label)], app })
  }

  /** `caddy:labels:show <app>` (0.37+): label → value; `{}` when none are set. */
  async labels(app: string): Promise<Record<string, string>> {
    this.requireLabels()
    const result = await this.dokku.runOk({ argv: ['caddy:labels:show', checkApp(app)], app })
    return parseCaddyLabels(result.stdout)
  }

  /** `caddy:start` (idempotent). Stop nginx first: both bind port 80. */
  async start(): Promise<void> {
    await this.dokku.runOk({ argv: ['caddy:start'] })
  }

  /** `caddy:stop` (idempotent). */
  async stop(): Promise<void> {
    await this.dokku.runOk({ argv: ['caddy:stop'] })
  }

  /**
   * `caddy:logs --num N`: `docker logs caddy-caddy-1`, whose container writes its log to stderr.
   * `running: false` when Docker has no such container (never started, or `caddy:stop` removed it).
   */
  async logs(lines = 100): Promise<{ running: boolean; text: string }> {
    if (!Number.isInteger(lines) || lines < 1) throw new DokkuArgumentError(`caddy:logs needs a positive number of lines, not ${lines}.`)
    const invocation = { argv: ['caddy:logs', '--num', String(lines)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return { running: true, text: `${result.stdout}${result.stderr}` }
    if (mentions(result, 'No such container')) return { running: false, text: '' }
    throw this.dokku.failure(invocation, result)
  }

  /** Whether Caddy's container exists: one line of its log (remembered within an observation, read-memo.ts). */
  async running(): Promise<boolean> {
    return (await this.logs(1)).running
  }

  private requireLabels(): void {
    if (!this.dokku.features.caddyLabels) throw new DokkuFeatureUnavailableError('`caddy:labels:*`', '0.37.0', this.dokku.features.version.raw)
  }
}

function checkLabel(label: string): string {
  // `@` starts a named matcher (caddy.@api.path); it passes the forced command's re-parsing intact.
  if (!/^[A-Za-z0-9_.@-]+$/.test(label) || label.startsWith('-'))
    throw new DokkuArgumentError(`"${label}" is not a caddy label name: use letters, digits, ".", "_", "-" and "@" (e.g. caddy.handle_path).`)
  return label
}
