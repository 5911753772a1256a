// Which stand-in container a release gets: seaweed-provision's generated wrapper (recognised by the
// label its Dockerfile carries, never by the app's name) runs seaweed-container.ts, a real S3 and
// IAM endpoint with SeaweedFS's identity model; every other release runs container.ts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from './ctx.ts'
import { appStateDir, loadGlobal } from './store.ts'
import type { AppState } from './store.ts'

/** The label src/core/seaweed/recipe.ts writes into the wrapper's Dockerfile. */
const WRAPPER_LABEL = 'org.dokku-stack.seaweedfs-wrapper'
const STORAGE_ROOT = '/var/lib/dokku/data/storage'

export interface StandIn {
  script: string
  env: Record<string, string>
}

export function standInFor(ctx: Ctx, app: string, state: AppState): StandIn | undefined {
  let dockerfile: string
  try {
    dockerfile = readFileSync(join(appStateDir(ctx, app), 'release', 'Dockerfile'), 'utf8')
  } catch {
    return undefined
  }
  if (!dockerfile.split('\n').some((line) => line.startsWith(`LABEL ${WRAPPER_LABEL}=`))) return undefined
  const cmd = /^CMD (.*)$/m.exec(dockerfile)?.[1] ?? ''
  const env: Record<string, string> = { DOKKU_SANDBOX_INTERNAL_CMD: cmd }
  const data = dataDir(ctx, state)
  if (data) env.DOKKU_SANDBOX_INTERNAL_DATA_DIR = data
  return { script: new URL('../seaweed-container.ts', import.meta.url).pathname, env }
}

/** The sandbox directory behind the container's /data mount, if it has one. */
function dataDir(ctx: Ctx, state: AppState): string | undefined {
  const global = loadGlobal(ctx)
  const hostPaths = [
    ...state.attachments.filter((a) => a.containerDir === '/data').map((a) => global.storageEntries[a.entry]?.path ?? ''),
    ...state.storage.map((m) => m.split(':')).filter((m) => m[1] === '/data').map((m) => m[0] ?? '')
  ]
  for (const host of hostPaths) if (host.startsWith(`${STORAGE_ROOT}/`)) return ctx.path('storage', host.slice(STORAGE_ROOT.length + 1))
  return undefined
}
