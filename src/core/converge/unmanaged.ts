// What is on the host that the stack file does not name: apps, and postgres/redis services. It is
// reported in the plan and never destroyed: removing a line from the file must not delete data.
import type { DokkuClient } from '../dokku/client.js'
import type { ServicePlugin } from '../dokku/commands/services.js'
import type { Unmanaged } from './plan.js'

export interface HostInventory {
  apps: readonly string[]
  /** Services by plugin; a plugin that is missing or disabled lists none. */
  services: Readonly<Record<ServicePlugin, readonly string[]>>
}

/** What the file names, in the host's terms: every Dokku app it owns (apps, the store, cockroach services) and each plugin's services. */
export interface NamedResources {
  apps: ReadonlySet<string>
  services: Readonly<Record<ServicePlugin, ReadonlySet<string>>>
}

const PLUGINS: readonly ServicePlugin[] = ['postgres', 'redis']

/** Two reads, then one per enabled plugin, in parallel. */
export async function observeInventory(dokku: DokkuClient): Promise<HostInventory> {
  const [apps, plugins] = await Promise.all([dokku.apps.list(), dokku.plugins.list()])
  const enabled = (plugin: ServicePlugin) => plugins.some((p) => p.name === plugin && p.enabled)
  const [postgres, redis] = await Promise.all(PLUGINS.map((plugin) => (enabled(plugin) ? dokku[plugin].list() : Promise.resolve([]))))
  return { apps, services: { postgres: postgres ?? [], redis: redis ?? [] } }
}

/** Pure: the host's apps and services that the file does not name, in a stable order. */
export function findUnmanaged(inventory: HostInventory, named: NamedResources): Unmanaged[] {
  const unmanaged: Unmanaged[] = []
  for (const app of [...inventory.apps].sort())
    if (!named.apps.has(app)) unmanaged.push({ resource: `app ${app}`, note: 'on the host but not in the stack file; left as it is (remove it by hand if it is no longer needed)' })
  for (const plugin of PLUGINS)
    for (const service of [...inventory.services[plugin]].sort())
      if (!named.services[plugin].has(service))
        unmanaged.push({ resource: `service ${service}`, note: `${plugin} service on the host but not in the stack file; left as it is, data included` })
  return unmanaged
}
