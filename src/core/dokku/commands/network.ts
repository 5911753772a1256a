import { DokkuArgumentError } from '../errors.js'
import { targetArg, type Target } from '../forms.js'
import { mentions } from '../output.js'
import type { Report } from '../parse/report.js'
import { CHANGED, checkApp, checkTarget, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

export const NETWORK_KEYS = ['attach-post-create', 'attach-post-deploy', 'initial-network', 'bind-all-interfaces', 'static-web-listener', 'tld'] as const
export type NetworkKey = (typeof NETWORK_KEYS)[number]

function checkNetwork(network: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network))
    throw new DokkuArgumentError(`"${network}" is not a valid network name: use letters, digits, "_", "." and "-", starting with a letter or digit.`)
  return network
}

/** `network:*` (docs/dokku-contract.md#network). Apps on a non-bridge network are reachable as `<app>.<process>` (e.g. `crdb.web`). */
export class NetworkCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** `network:exists`: exit 0 = yes, 1 = no ("Network does not exist"). */
  async exists(network: string): Promise<boolean> {
    const invocation = { argv: ['network:exists', checkNetwork(network)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return true
    if (result.code === 1 && mentions(result, 'does not exist')) return false
    throw this.dokku.failure(invocation, result)
  }

  /** `network:create`; `unchanged('exists')` when Docker reports the network already exists (exit 1 in Dokku). */
  async create(network: string): Promise<Outcome> {
    const invocation = { argv: ['network:create', checkNetwork(network)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'already exists')) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** Creates the network unless it exists. */
  async ensure(network: string): Promise<Outcome> {
    return (await this.exists(network)) ? unchanged('up-to-date') : this.create(network)
  }

  /**
   * `network:set <app>|--global <key> [<value>…]`: `attach-post-create` / `attach-post-deploy` take several
   * networks. No values unsets. Existence is not checked by Dokku; applies on the next deploy.
   */
  async set(target: Target, key: NetworkKey, ...values: string[]): Promise<void> {
    if (!NETWORK_KEYS.includes(key)) throw new DokkuArgumentError(`Unknown network property "${String(key)}"; valid: ${NETWORK_KEYS.join(', ')}.`)
    const argv = ['network:set', targetArg(checkTarget(target)), key, ...values]
    await this.dokku.runOk(typeof target === 'string' ? { argv, app: target } : { argv })
  }

  /** `network:report`: keys such as `attach-post-create`, `computed-attach-post-create` (0.38+), `web-listeners`. */
  async report(app: string): Promise<Report> {
    return this.dokku.report('network', checkApp(app))
  }
}
