import { convergeCaddy, type CaddyResult } from '../../core/caddy/converge.js'
import { DokkuClient } from '../../core/dokku/client.js'
import type { Logger } from '../../core/log.js'
import { connectSsh } from '../../core/ssh/connection.js'
import { Inputs, type CaddyConfig } from './inputs.js'

/** caddy-config over its own connection; the inputs it names when the host rules a request out. */
export async function configureCaddy(config: CaddyConfig, logger: Logger): Promise<CaddyResult> {
  const executor = await connectSsh(config.ssh, { logger })
  try {
    return await convergeCaddy(await DokkuClient.create(executor, logger), config, logger, { inputs: { 'letsencrypt-email': Inputs.letsencryptEmail, app: Inputs.app } })
  } finally {
    await executor.close()
  }
}
