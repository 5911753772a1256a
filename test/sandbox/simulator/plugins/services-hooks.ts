// The postgres/redis plugins' app hooks (pre-delete, post-app-clone-setup, post-app-rename-setup):
// they only touch the services' LINKS files, so they live apart from the service commands.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'

const SERVICE_PLUGINS = ['postgres', 'redis']

function services(ctx: Ctx, plugin: string): string[] {
  try {
    return readdirSync(ctx.path('services', plugin)).sort()
  } catch {
    return []
  }
}

export function readLinks(ctx: Ctx, plugin: string, svc: string): string[] {
  try {
    return readFileSync(join(ctx.path('services', plugin, svc), 'LINKS'), 'utf8').split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}

export function writeLinks(ctx: Ctx, plugin: string, svc: string, links: string[]): void {
  const unique = [...new Set(links)].sort()
  writeFileSync(join(ctx.path('services', plugin, svc), 'LINKS'), unique.map((l) => `${l}\n`).join(''), { mode: 0o666 })
}

/** pre-delete: "Unlinking from <svc>" for every service of every installed service plugin. */
export function serviceUnlinkAllOnDestroy(ctx: Ctx, app: string): void {
  for (const plugin of SERVICE_PLUGINS) {
    if (!ctx.hasPlugin(plugin)) continue
    for (const svc of services(ctx, plugin)) {
      ctx.verbose(`Unlinking from ${svc}`)
      const links = readLinks(ctx, plugin, svc)
      if (links.includes(app)) writeLinks(ctx, plugin, svc, links.filter((l) => l !== app))
    }
  }
}

export function serviceCloneLinks(ctx: Ctx, oldApp: string, newApp: string): void {
  for (const plugin of SERVICE_PLUGINS) {
    if (!ctx.hasPlugin(plugin)) continue
    for (const svc of services(ctx, plugin)) {
      const links = readLinks(ctx, plugin, svc)
      if (links.includes(oldApp)) writeLinks(ctx, plugin, svc, [...links, newApp])
    }
  }
}

export function serviceRenameLinks(ctx: Ctx, oldApp: string, newApp: string): void {
  for (const plugin of SERVICE_PLUGINS) {
    if (!ctx.hasPlugin(plugin)) continue
    for (const svc of services(ctx, plugin)) {
      const links = readLinks(ctx, plugin, svc)
      if (links.includes(oldApp)) writeLinks(ctx, plugin, svc, [...links.filter((l) => l !== oldApp), newApp])
    }
  }
}
