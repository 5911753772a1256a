// The store's public host name, routed by Caddy through the same module caddy-config uses
// (src/core/caddy/converge.ts): one site for the whole host name to the S3 port, Host kept, no path
// prefix (SigV4 signs both, docs/seaweedfs.md#sigv4-proxy, docs/caddy.md#store-route), and the host's
// own Caddy settings left as they are.
import { convergeCaddy, verifyRouting, type CaddyResult, type PlanInputs } from '../caddy/converge.js'
import type { CaddyRequest } from '../caddy/plan.js'
import type { TlsMode } from '../caddy/routing.js'
import type { DokkuClient } from '../dokku/client.js'
import type { Logger } from '../log.js'
import { SEAWEED_S3_HEALTH_PATH } from './health.js'
import { SEAWEED_S3_PORT } from './recipe.js'

/** What Caddy must route: the whole host name to the S3 port. */
export interface StoreRoute {
  app: string
  domain: string
  tls: TlsMode
  containerPort: number
}

export function storeRoute(app: string, domain: string, tls: TlsMode): StoreRoute {
  return { app, domain, tls, containerPort: SEAWEED_S3_PORT }
}

/**
 * The request for the store's route. The host-wide settings (Let's Encrypt email and server, log
 * level) are undefined, so the host's are kept: a store must not retune the Caddy every other app
 * uses (a host without an email, or without Caddy running, is refused: caddy-config sets it up). No labels
 * beyond the health check: Caddy's reverse_proxy passes the client's Host header on unchanged, and
 * `objectStore` makes the planner refuse any path route in front of the store. The store is not
 * given `-s3.externalUrl`: in-host apps sign for `<app>.web:8333`, and the proxy keeps Host.
 */
export function storeCaddyRequest(route: StoreRoute, options: { dryRun: boolean }): CaddyRequest {
  return {
    letsencryptEmail: undefined,
    letsencryptServer: undefined,
    logLevel: undefined,
    tls: route.tls,
    app: { app: route.app, domains: [route.domain], port: route.containerPort, labels: [], healthPath: SEAWEED_S3_HEALTH_PATH, redirects: [], objectStore: true },
    // Probed by verifyStoreRoute once the store is up (it may be deployed after the route is set).
    verify: false,
    // Switching the host from nginx to Caddy is caddy-config's decision, not the store's.
    requireCaddyRunning: true,
    dryRun: options.dryRun
  }
}

/**
 * What Caddy would change for the store, printed, changing nothing. Before the store app exists
 * only the host is checked (an email, Caddy running, a Caddyfile Caddy accepts): its own routing
 * is planned once the app exists, on the same run.
 */
export async function previewStoreRoute(dokku: DokkuClient, route: StoreRoute, logger: Logger, inputs: PlanInputs, storeExists: boolean): Promise<CaddyResult> {
  const request = storeCaddyRequest(route, { dryRun: true })
  return convergeCaddy(dokku, storeExists ? request : { ...request, app: undefined }, logger, {
    inputs,
    heading: `Plan for Caddy: ${route.domain} → ${route.app}:${route.containerPort}${storeExists ? '' : ` (the host only: ${route.app} does not exist yet)`}`
  })
}

/**
 * Applies the route. The caller runs it only once the store app holds its admin identity in its
 * config: an S3 gateway with no identity allows everything (docs/seaweedfs.md#auth-off), and this makes it public.
 */
export async function routeStoreDomain(dokku: DokkuClient, route: StoreRoute, logger: Logger, inputs: PlanInputs): Promise<CaddyResult> {
  return convergeCaddy(dokku, storeCaddyRequest(route, { dryRun: false }), logger, {
    inputs,
    heading: `Route ${route.domain} to ${route.app}:${route.containerPort} through Caddy`
  })
}

/** From the runner, once the store answers: HTTPS for the domain (certificate, redirect), no dropped block. */
export async function verifyStoreRoute(dokku: DokkuClient, route: StoreRoute, applied: CaddyResult, since: number, logger: Logger): Promise<void> {
  await verifyRouting(dokku, { ...storeCaddyRequest(route, { dryRun: false }), verify: true }, applied, since, logger)
}
