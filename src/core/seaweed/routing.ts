// The store's public host name. Routing and TLS belong to caddy-config (src/core/caddy/, being
// built beside this module): this file is the one place seaweed-provision hands a domain over.
import type { DokkuClient } from '../dokku/client.js'
import type { Logger } from '../log.js'
import { SEAWEED_S3_PORT } from './recipe.js'

/** What caddy-config must route: the whole host name to the S3 port, no path prefix, Host kept (trap 10). */
export interface StoreRoute {
  app: string
  domain: string
  containerPort: number
}

export function storeRoute(app: string, domain: string): StoreRoute {
  return { app, domain, containerPort: SEAWEED_S3_PORT }
}

/**
 * SEAM — caddy-config: call the caddy core module here (domains, TLS, the routing labels for
 * `route`), planning and applying through it rather than duplicating it. It runs only after the
 * store holds its admin identity (an S3 gateway with none allows everything, docs/dokku-contract.md#root-and-sudo trap 3), and
 * must not set `-s3.externalUrl` (in-host apps sign for `<app>.web:8333`). Until the caddy module
 * lands this changes nothing and says so.
 */
export async function routeStoreDomain(_dokku: DokkuClient, route: StoreRoute, logger: Logger): Promise<{ changed: boolean; note: string }> {
  const note = `Routing ${route.domain} to ${route.app}:${route.containerPort} (TLS, labels) is caddy-config's job and is not done by this version of seaweed-provision: run caddy-config for ${route.app} with domain ${route.domain}.`
  logger.info(note)
  return { changed: false, note }
}
