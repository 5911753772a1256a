// The one connection a converge runs over: opened once by the entry point (an action, or the root
// action for the whole stack), handed to every converger, closed when the run is over.
import { DokkuClient } from '../dokku/client.js'
import type { SshSettings } from '../ssh/settings.js'
import type { Logger } from '../log.js'
import { connectSsh, type SshExecutor } from '../ssh/connection.js'

export interface DokkuHost {
  dokku: DokkuClient
  /** The connection under the client: its pinned host key (for `git push`) and remote shell. */
  executor: SshExecutor
}

/** Connects, runs `fn` with the host, and closes the connection whatever `fn` did. */
export async function withDokkuHost<T>(ssh: SshSettings, logger: Logger, fn: (host: DokkuHost) => Promise<T>): Promise<T> {
  const executor = await connectSsh(ssh, { logger })
  try {
    return await fn({ dokku: await DokkuClient.create(executor, logger), executor })
  } finally {
    await executor.close()
  }
}

/** Connected as root or a sudo user: `plugin:install` and other root-only commands can run. */
export function canRunAsRoot(host: DokkuHost): boolean {
  return host.executor.shell !== 'dokku-forced-command'
}
