import { DokkuArgumentError, DokkuFeatureUnavailableError, UnfulfilledCommandError } from '../errors.js'
import { mentions } from '../output.js'
import { parseConfigJson, unstorableConfigMessage } from '../parse/config.js'
import { CHANGED, checkApp, checkConfigKey, unchanged, type DokkuRunner, type Invocation, type Outcome, type StreamOptions } from '../runner.js'

export type ConfigValues = Readonly<Record<string, string>>

export interface RestartOptions extends StreamOptions {
  /**
   * Let Dokku restart a deployed app after the change (Dokku's default). Off by default here:
   * Dokku restarts even when nothing changed (docs/dokku-contract.md#config-set); compare first, then restart once with `ps.restart`.
   */
  restart?: boolean
}

/**
 * `config:set --encoded [--no-restart] <app> K=base64(v)…`: every value goes base64-encoded, so no
 * value travels as a plain argument (DESIGN "Secrets"), and the shown argv carries none.
 */
export function configSetArgv(app: string, values: ConfigValues, options: { restart?: boolean } = {}): { argv: string[]; shown: string[] } {
  const keys = Object.keys(values).map(checkConfigKey)
  if (keys.length === 0) throw new DokkuArgumentError('config:set needs at least one value.')
  const head = ['config:set', '--encoded', ...(options.restart ? [] : ['--no-restart']), checkApp(app)]
  return {
    argv: [...head, ...keys.map((key) => `${key}=${Buffer.from(values[key] as string, 'utf8').toString('base64')}`)],
    shown: [...head, ...keys.map((key) => `${key}=***`)]
  }
}

/** `config:*` (docs/dokku-contract.md#config). Output is never shown unfiltered: Dokku echoes values in clear. */
export class ConfigCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** `config:export --format json <app>`; URL passwords inside values are registered as secrets. */
  async export(app: string): Promise<Record<string, string>> {
    const result = await this.dokku.runOk({ argv: ['config:export', '--format', 'json', checkApp(app)], app })
    return parseConfigJson(result.stdout)
  }

  /**
   * Sets values (base64 over `--encoded`). Without `restart` nothing restarts. With it, Dokku's
   * restart failing makes config:set still exit 0 with "Failure while restarting app" (docs/dokku-contract.md#config-set):
   * that is raised as UnfulfilledCommandError (the values are saved).
   */
  async set(app: string, values: ConfigValues, options: RestartOptions = {}): Promise<Outcome> {
    if (Object.keys(values).length === 0) return unchanged('up-to-date')
    this.checkStorable(values)
    const { argv, shown } = configSetArgv(app, values, options)
    return this.runConfigChange({ argv, shown, app, echoesConfig: true, deploy: options.restart ?? false, onOutput: options.onOutput })
  }

  /**
   * Sets values that are already base64 (a Kubernetes Secret's `.data`), as they are, over
   * `--encoded --no-restart`: they are never decoded on the runner, so the ENV-file check of `set`
   * cannot look at them; Dokku decodes them byte for byte. The shown argv carries none.
   */
  async setEncoded(app: string, encoded: ConfigValues): Promise<Outcome> {
    const keys = Object.keys(encoded).map(checkConfigKey)
    if (keys.length === 0) return unchanged('up-to-date')
    for (const key of keys) if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded[key] as string)) throw new DokkuArgumentError(`The value for ${key} is not base64 (not shown).`)
    const head = ['config:set', '--encoded', '--no-restart', checkApp(app)]
    return this.runConfigChange({ argv: [...head, ...keys.map((key) => `${key}=${encoded[key] as string}`)], shown: [...head, ...keys.map((key) => `${key}=***`)], app, echoesConfig: true, deploy: false })
  }

  /** `config:unset [--no-restart] <app> K…`. Dokku restarts even for keys that were not set (docs/dokku-contract.md#config-unset). */
  async unset(app: string, keys: readonly string[], options: RestartOptions = {}): Promise<Outcome> {
    if (keys.length === 0) return unchanged('up-to-date')
    const argv = ['config:unset', ...(options.restart ? [] : ['--no-restart']), checkApp(app), ...keys.map(checkConfigKey)]
    return this.runConfigChange({ argv, app, echoesConfig: true, deploy: options.restart ?? false, onOutput: options.onOutput })
  }

  /**
   * `config:import --format json [--replace] [--no-restart] <app> -` with the values on stdin: for
   * values too large for an argument. `replace` drops every key not given (with no values at all: `config:clear`). Dokku 0.37+.
   */
  async import(app: string, values: ConfigValues, options: RestartOptions & { replace?: boolean } = {}): Promise<Outcome> {
    if (!this.dokku.features.configImport) throw new DokkuFeatureUnavailableError('`config:import`', '0.37.0', this.dokku.features.version.raw)
    for (const key of Object.keys(values)) checkConfigKey(key)
    this.checkStorable(values)
    if (Object.keys(values).length === 0) {
      if (!options.replace) return unchanged('up-to-date')
      // Dokku refuses an empty import (" !     No config vars to set", exit 1, docs/dokku-contract.md#config-import):
      // replacing every value with none is `config:clear [--no-restart] <app>` (docs/dokku-contract.md#config-unset).
      const clear = ['config:clear', ...(options.restart ? [] : ['--no-restart']), checkApp(app)]
      return this.runConfigChange({ argv: clear, app, deploy: options.restart ?? false, onOutput: options.onOutput })
    }
    const argv = ['config:import', '--format', 'json', ...(options.replace ? ['--replace'] : []), ...(options.restart ? [] : ['--no-restart']), checkApp(app), '-']
    return this.runConfigChange({ argv, app, stdin: JSON.stringify(values), echoesConfig: true, deploy: options.restart ?? false, onOutput: options.onOutput })
  }

  /** Refuses, before anything is sent, values the host's ENV file cannot keep (`unstorableConfigMessage`). */
  private checkStorable(values: ConfigValues): void {
    const message = unstorableConfigMessage(values, this.dokku.features.envFile)
    if (message !== undefined) throw new DokkuArgumentError(message)
  }

  private async runConfigChange(invocation: Invocation): Promise<Outcome> {
    const result = await this.dokku.run(invocation)
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    if (invocation.deploy && mentions(result, 'Failure while restarting app'))
      throw new UnfulfilledCommandError('exited 0, but the app restart it triggered failed; the config values were saved', this.dokku.errorParams(invocation, result))
    return CHANGED
  }
}
