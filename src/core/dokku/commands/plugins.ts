import { DokkuArgumentError } from '../errors.js'
import { mentions } from '../output.js'
import { parsePluginListJson, parsePluginListText, type PluginInfo } from '../parse/plugins.js'
import { CHANGED, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

function checkPluginName(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new DokkuArgumentError(`"${name}" is not a plugin name.`)
  return name
}

/** `plugin:*` (docs/dokku-contract.md#plugins). Everything but `list` must run as root and is refused up front over the dokku user. */
export class PluginCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** `plugin:list` (works as the dokku user); JSON from 0.38.22. */
  async list(): Promise<PluginInfo[]> {
    const json = this.dokku.features.pluginListJson
    const result = await this.dokku.runOk({ argv: json ? ['plugin:list', '--format', 'json'] : ['plugin:list'] })
    return json ? parsePluginListJson(result.stdout) : parsePluginListText(result.stdout)
  }

  /**
   * `plugin:install <url> [--committish REF] [--name NAME]` (root only). `unchanged('exists')` for
   * "Plugin already enabled" (exit 1); installed from a different URL stays an error.
   */
  async install(url: string, options: { name?: string; committish?: string } = {}): Promise<Outcome> {
    if (!/^(https:|git|ssh:|file:)|\.(tar\.gz|tgz)$/.test(url)) throw new DokkuArgumentError(`"${url}" is not a plugin URL Dokku accepts (https:, git…, ssh:, file:, or a .tar.gz/.tgz).`)
    const argv = ['plugin:install', url]
    if (options.committish !== undefined) argv.push('--committish', options.committish)
    if (options.name !== undefined) argv.push('--name', checkPluginName(options.name))
    const invocation = { argv, rootOnly: true }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Plugin already enabled') && !mentions(result, 'different url')) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }
}
