// What backup-run looks at before it plans: whether each source (a backup) or the restore target
// exists, in few reads: one list per kind of service and one of the apps, whatever the number of
// sources, run side by side over the run's one connection; a bucket is asked for with HEAD. Only
// reads: a dry run sends nothing else to the host or the source store.
import { sourceLabel, type SourceRef } from '../../core/backup/keys.js'
import { errorMessage } from '../../core/errors.js'
import type { SourceState } from './plan.js'
import type { Runtime } from './runtime.js'
import { useSeaweedSource } from './seaweed.js'

export async function observeSources(rt: Runtime, sources: readonly SourceRef[]): Promise<Map<string, SourceState>> {
  const lists = new Map<string, Promise<Set<string>>>()
  const listOf = (kind: 'postgres' | 'redis' | 'apps'): Promise<Set<string>> => {
    let list = lists.get(kind)
    if (!list) {
      const names = kind === 'apps' ? rt.dokku().then((dokku) => dokku.apps.list()) : rt.services().then((plugins) => plugins[kind].list())
      list = names.then((found) => new Set(found))
      lists.set(kind, list)
    }
    return list
  }
  const states = await Promise.all(sources.map(async (source): Promise<[string, SourceState]> => [sourceLabel(source), await observeOne(rt, source, listOf)]))
  return new Map(states)
}

async function observeOne(rt: Runtime, source: SourceRef, listOf: (kind: 'postgres' | 'redis' | 'apps') => Promise<Set<string>>): Promise<SourceState> {
  try {
    switch (source.kind) {
      case 'postgres':
      case 'redis': {
        const present = (await listOf(source.kind)).has(source.name)
        return present
          ? { present, what: `${source.kind} service` }
          : { present, why: `${source.kind} service ${source.name} does not exist on the host (dokku ${source.kind}:list shows the services).` }
      }
      case 'config':
      case 'cockroach': {
        const present = (await listOf('apps')).has(source.name)
        const restoring = rt.config.mode === 'restore'
        return present
          ? { present, what: 'app' }
          : { present, why: restoring ? `App ${source.name} does not exist; create it (dokku-deploy) before restoring its config.` : `App ${source.name} does not exist on the host (dokku apps:list shows the apps).` }
      }
      case 'bucket': {
        const store = rt.config.seaweedSources.get(source.name)
        if (store !== undefined) await useSeaweedSource(rt, source.name, store)
        const bucket = rt.sourceStore(source.name)
        await bucket.checkBucket(rt.config.mode === 'restore' ? 'target' : 'source')
        return { present: true, what: store !== undefined ? `bucket of ${store}` : 'bucket' }
      }
    }
  } catch (error) {
    return { present: false, why: errorMessage(error) }
  }
}
