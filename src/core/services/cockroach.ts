// CockroachDB as a plain Dokku app, the recipe of docs/dokku-contract.md#cockroach-app: there is no official plugin (docs/dokku-contract.md#cockroach-app),
// so the service is an app deployed from an image with persistent storage, a single-node start
// command, no zero-downtime checks, no HTTP proxy and a private network the linked apps join.
// Everything here is pure: the names, paths and values the recipe derives from a service name.

/**
 * The default image. Same release line as Oxide's fork (v22.1.22 + Oxide patches, uro notes §3.1),
 * so a store written by one can be opened by the other; published by Cockroach Labs with immutable
 * version tags; and older than the 24.3 licence change. actions/dokku-service/README.md says more.
 */
export const COCKROACH_DEFAULT_IMAGE = 'cockroachdb/cockroach'
export const COCKROACH_DEFAULT_VERSION = 'v22.1.22'

export const COCKROACH_SQL_PORT = 26257
export const COCKROACH_DATA_DIR = '/cockroach/cockroach-data'
export const COCKROACH_CERTS_DIR = '/cockroach/certs'
/** The app's one process type; other apps on its network reach it as `<app>.web` (docs/dokku-contract.md#network). */
export const COCKROACH_PROCESS = 'web'
/** The container comes back after a host reboot but not after an operator's `ps:stop` (docs/dokku-contract.md#cockroach-app step 3). */
export const COCKROACH_RESTART_POLICY = 'unless-stopped'

/**
 * A secure node (certificates created by the image's entrypoint on first start, docs/dokku-contract.md#cockroach-app) that accepts
 * password logins over plain SQL connections: Postgrex connects without TLS options, as Uro's own
 * compose file runs it (uro notes §3.2). The entrypoint word-splits this value (docs/dokku-contract.md#cockroach-app).
 */
export const COCKROACH_START = ['start-single-node', '--accept-sql-without-tls'] as const

/** Config keys the recipe owns on the service app; custom env may not set them. */
export const COCKROACH_KEYS = {
  args: 'COCKROACH_ARGS',
  database: 'COCKROACH_DATABASE',
  user: 'COCKROACH_USER',
  password: 'COCKROACH_PASSWORD'
} as const

/** SQL user names CockroachDB reserves or grants more than an app should have. */
const RESERVED_USERS = new Set(['root', 'admin', 'public', 'node', 'none', 'current_user', 'session_user'])

/**
 * Service names that work everywhere the recipe uses them: a Dokku app name, a storage name
 * (`[A-Za-z0-9_-]`, so no dots), and after `-` → `_` an unquoted SQL identifier (the entrypoint
 * runs `CREATE DATABASE $COCKROACH_DATABASE` unquoted, so it must start with a letter).
 */
export const COCKROACH_SERVICE_NAME = /^[a-z][a-z0-9-]*$/

export interface CockroachNames {
  /** The Dokku app that runs the node. */
  readonly app: string
  readonly dataStorage: string
  readonly certsStorage: string
  readonly network: string
  readonly database: string
  readonly user: string
}

export function cockroachNames(service: string): CockroachNames {
  const sql = service.replace(/-/g, '_')
  return {
    app: service,
    dataStorage: `${service}-data`,
    certsStorage: `${service}-certs`,
    network: `${service}-net`,
    database: sql,
    user: sql
  }
}

/** Why `service` cannot name a CockroachDB service, or undefined when it can. */
export function cockroachNameProblem(service: string): string | undefined {
  if (!COCKROACH_SERVICE_NAME.test(service))
    return 'must be a lowercase name of letters, digits and hyphens starting with a letter (it names a Dokku app, its storage and the SQL database and user)'
  if (service.length > 50) return 'must be at most 50 characters (it also names the storage and the network)'
  if (RESERVED_USERS.has(cockroachNames(service).user)) return `names a reserved CockroachDB user (${[...RESERVED_USERS].join(', ')})`
  return undefined
}

/** The entrypoint's command: the single-node start plus extra flags (`--cache=.25 --max-sql-memory=.25`). */
export function cockroachArgs(extraFlags: readonly string[]): string {
  return [...COCKROACH_START, ...extraFlags].join(' ')
}

/**
 * The name apps on the private network resolve: `<app>.web`, with the network's TLD when one is
 * set (docs/dokku-contract.md#network).
 */
export function cockroachHost(service: string, tld: string): string {
  return tld ? `${service}.${COCKROACH_PROCESS}.${tld.replace(/^\./, '')}` : `${service}.${COCKROACH_PROCESS}`
}

/**
 * `DATABASE_URL` in the form Ecto/Postgrex reads (uro notes §1.5, §3.4): no libpq parameters such
 * as `sslmode` (Postgrex ignores them; TLS is configured with `ssl:` options, not the URL). The
 * password is hex, so nothing needs percent-encoding.
 */
export function cockroachUrl(parts: { user: string; password: string; host: string; database: string; querystring?: string | undefined }): string {
  const base = `postgresql://${parts.user}:${parts.password}@${parts.host}:${COCKROACH_SQL_PORT}/${parts.database}`
  return parts.querystring ? `${base}?${parts.querystring}` : base
}
