import { checkApp, type DokkuRunner } from '../runner.js'

/**
 * `nginx:stop` (nginx-vhosts): writes the global `proxy-status` property and stops the host's
 * nginx service; idempotent. nginx binds port 80, so it must stop before
 * Caddy starts (docs/dokku-contract.md#caddy). Dokku prints nothing of its own.
 */
export class NginxCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  async stop(): Promise<void> {
    await this.dokku.runOk({ argv: ['nginx:stop'] })
  }
}

/** `scheduler:report` (Go; keys `selected`, `global-selected`, `computed-selected`, default `docker-local`). */
export class SchedulerCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** The scheduler the app deploys with: `docker-local`, `k3s`, … */
  async selected(app: string): Promise<string> {
    const report = await this.dokku.report('scheduler', checkApp(app))
    return report['computed-selected'] || report['scheduler-computed-selected'] || report['selected'] || 'docker-local'
  }
}
