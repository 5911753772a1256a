import { convergeCaddy, type CaddyResult } from '../../core/caddy/converge.js'
import { withDokkuHost } from '../../core/converge/host.js'
import type { Logger } from '../../core/log.js'
import { Inputs, type CaddyConfig } from './inputs.js'

/** caddy-config over its own connection; the inputs it names when the host rules a request out. */
export async function configureCaddy(config: CaddyConfig, logger: Logger): Promise<CaddyResult> {
  return withDokkuHost(config.ssh, logger, ({ dokku }) =>
    convergeCaddy(dokku, config, logger, { inputs: { 'letsencrypt-email': Inputs.letsencryptEmail, app: Inputs.app } })
  )
}
