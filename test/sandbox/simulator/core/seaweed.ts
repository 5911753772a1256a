// Which stand-in container a release gets: seaweed-provision's generated wrapper (recognised by the
// label its Dockerfile carries, never by the app's name) runs seaweed-container.ts, a real S3 and
// IAM endpoint with SeaweedFS's identity model; every other release runs container.ts. `dokku enter`
// into such a container runs with the image's busybox wget, reaching the container's own ports.
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from './ctx.ts'
import { appStateDir, loadGlobal, mkdirShared } from './store.ts'
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

/**
 * The environment `dokku enter` adds for a stand-in container that serves ports of its own (its ready
 * file lists them as `localPorts`: container port → host port): a directory first on PATH whose `wget`
 * is the image's busybox wget (../busybox-wget.ts) reaching 127.0.0.1:<container port> where the
 * stand-in serves it (docs/seaweedfs.md#sandbox). Undefined for every other container.
 */
export function enterEnvironment(ctx: Ctx, containerName: string): Record<string, string> | undefined {
  let localPorts: Record<string, number> | undefined
  try {
    localPorts = (JSON.parse(readFileSync(ctx.path('run', `${containerName}.ready`), 'utf8')) as { localPorts?: Record<string, number> }).localPorts
  } catch {
    return undefined
  }
  if (!localPorts) return undefined
  return {
    PATH: `${containerBin(ctx)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    DOKKU_SANDBOX_INTERNAL_LOCAL_PORTS: Object.entries(localPorts).map(([inside, host]) => `${inside}=${host}`).join(','),
  }
}

/**
 * The directory of the container's own commands, written once per sandbox: the copy of the simulator
 * the dokku user runs keeps no executable bits, so the `wget` script is made here, executable.
 */
function containerBin(ctx: Ctx): string {
  const dir = ctx.path('run', 'container-bin')
  const wget = join(dir, 'wget')
  const script = [
    '#!/bin/sh',
    '# The SeaweedFS image\'s busybox wget, as the sandbox plays it (test/sandbox/simulator/busybox-wget.ts).',
    `exec ${shellWord(ctx.config.node || process.execPath)} --no-warnings ${shellWord(new URL('../busybox-wget.ts', import.meta.url).pathname)} "$@"`,
    ''
  ].join('\n')
  let current = ''
  try {
    current = readFileSync(wget, 'utf8')
  } catch {
    // not written yet
  }
  if (current !== script) {
    // Made executable before it is renamed into place: a concurrent `enter` never finds it half made.
    mkdirShared(dir)
    const tmp = `${wget}.${process.pid}.tmp`
    writeFileSync(tmp, script, { mode: 0o777 })
    chmodSync(tmp, 0o777)
    renameSync(tmp, wget)
  }
  return dir
}

function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
