import type { DokkuClient } from '../../core/dokku/client.js'
import type { Logger } from '../../core/log.js'
import { looksLikeCredentialKey, registerUrlCredentials } from '../../core/secrets.js'

/** The datastore plugins whose links `apps:clone` copies (docs/dokku-contract.md#apps-clone). */
const SERVICE_PLUGINS = ['postgres', 'redis'] as const

export interface Isolation {
  /** `postgres:<service>` / `redis:<service>` links of the source that the clone no longer has. */
  unlinked: string[]
  /** Secret config keys copied from the source and removed from the clone. */
  unset: string[]
  /** Storage mounts still shared with the source (only said: unmounting could lose the source's data path). */
  sharedStorage: string[]
}

/**
 * `apps:clone` gives the clone everything of its source (docs/dokku-contract.md#apps-clone): every config key (the
 * services' `*_URL` with their passwords, the app's secrets), the `--link` docker options and a
 * place in each service's LINKS. Pull-request code must reach none of production's data or
 * secrets, so right after the clone, before anything is deployed:
 * - the clone is unlinked (no restart) from every postgres and redis service it was linked to,
 *   which removes the URL, the docker option and the LINKS entry; the source stays linked;
 * - every copied key that is secret (a credential-looking name, or a URL with a password) is
 *   unset, unless this run's `config` sets it (then the new value replaces it).
 * The review app gets its own services from dokku-service steps (see review-apps.yml).
 */
export async function isolateReviewApp(dokku: DokkuClient, app: string, from: string, setByRun: ReadonlySet<string>, logger: Logger): Promise<Isolation> {
  const isolation: Isolation = { unlinked: [], unset: [], sharedStorage: [] }
  const installed = new Set((await dokku.plugins.list()).filter((plugin) => plugin.enabled).map((plugin) => plugin.name))
  for (const plugin of SERVICE_PLUGINS) {
    if (!installed.has(plugin)) continue
    for (const service of await dokku[plugin].list()) {
      if (!(await dokku[plugin].links(service)).includes(app)) continue
      await dokku[plugin].unlink(service, app, { restart: false })
      isolation.unlinked.push(`${plugin}:${service}`)
    }
  }
  const env = await dokku.config.export(app)
  isolation.unset = Object.entries(env)
    .filter(([key, value]) => !setByRun.has(key) && !key.startsWith('DOKKU_') && (looksLikeCredentialKey(key) || registerUrlCredentials(value)))
    .map(([key]) => key)
  if (isolation.unset.length > 0) await dokku.config.unset(app, isolation.unset, { restart: false })
  isolation.sharedStorage = (await dokku.storage.list(app)).map((mount) => `${mount.hostPath}:${mount.containerPath}`)

  if (isolation.unlinked.length > 0) logger.info(`Unlinked ${app} from ${from}'s services: ${isolation.unlinked.join(', ')} (${from} keeps its links).`)
  if (isolation.unset.length > 0) logger.info(`Removed the secrets ${app} copied from ${from}: ${isolation.unset.join(', ')}.`)
  if (isolation.sharedStorage.length > 0)
    logger.warning(`Review app ${app} mounts the same storage as ${from} (${isolation.sharedStorage.join(', ')}): what the pull request writes there, ${from} sees. Unmount it with dokku storage:unmount if that must not happen.`)
  return isolation
}
