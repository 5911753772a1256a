// The Dokku service plugins the toolkit provisions with, as the contract describes them
// (dokku-postgres 1.48.0, docs/dokku-contract.md#services; dokku-redis 1.43.0, docs/dokku-contract.md#redis): where they come from,
// how to install them, and the names they derive from a service name.
import type { ServicePlugin } from '../dokku/commands/services.js'

export interface ServicePluginSource {
  readonly plugin: ServicePlugin
  /** The repository's name, as people know the plugin. */
  readonly label: string
  readonly url: string
  /** The release the contract was read at: installs are pinned to it, so a fresh host behaves as tested. */
  readonly committish: string
  /** The variable prefix of a link's default alias (`DATABASE_URL`, `REDIS_URL`). */
  readonly defaultAlias: string
  /** The app config key that overrides the URL scheme on link (`POSTGRES_DATABASE_SCHEME`). */
  readonly schemeKey: string
}

export const SERVICE_PLUGIN_SOURCES: Readonly<Record<ServicePlugin, ServicePluginSource>> = {
  postgres: {
    plugin: 'postgres',
    label: 'dokku-postgres',
    url: 'https://github.com/dokku/dokku-postgres.git',
    committish: '1.48.0',
    defaultAlias: 'DATABASE',
    schemeKey: 'POSTGRES_DATABASE_SCHEME'
  },
  redis: {
    plugin: 'redis',
    label: 'dokku-redis',
    url: 'https://github.com/dokku/dokku-redis.git',
    committish: '1.43.0',
    defaultAlias: 'REDIS',
    schemeKey: 'REDIS_DATABASE_SCHEME'
  }
}

/** The command a root user runs on the host to install the plugin (plugin:* is root only, docs/dokku-contract.md#root-and-sudo, #plugins). */
export function pluginInstallCommand(plugin: ServicePlugin): string {
  const source = SERVICE_PLUGIN_SOURCES[plugin]
  return `sudo dokku plugin:install ${source.url} --committish ${source.committish} --name ${source.plugin}`
}

/**
 * The docker option `<plugin>:link` adds to the app's build, deploy and run phases: the service
 * container under its DNS alias, the container name with `.` and `_` turned into `-` (docs/dokku-contract.md#services, #redis).
 */
export function serviceLinkOption(plugin: ServicePlugin, service: string): readonly string[] {
  const container = `dokku.${plugin}.${service}`
  return ['--link', `${container}:${container.replace(/[._]/g, '-')}`]
}

/**
 * Link aliases the way the plugins read `--alias`: upper-cased, a trailing `_URL` dropped
 * (`blue_db_url` → `BLUE_DB`), so the variable is `<ALIAS>_URL`.
 */
export function normaliseAlias(alias: string): string {
  return alias.toUpperCase().replace(/_URL$/, '')
}

/** Replaces the scheme of a service URL, as link does when the app sets `<PLUGIN>_DATABASE_SCHEME`. */
export function withScheme(url: string, scheme: string | undefined): string {
  if (!scheme) return url
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, `${scheme}://`)
}

/** `url?querystring` (a leading `?` in the querystring is not doubled). */
export function withQuerystring(url: string, querystring: string | undefined): string {
  return querystring ? `${url}?${querystring.replace(/^\?/, '')}` : url
}

/**
 * Whether two database URLs name the same server, database and user (scheme, password and
 * querystring aside): a value left by an earlier link of this same service, stale or not.
 */
export function sameTarget(a: string, b: string): boolean {
  const left = parseTarget(a)
  const right = parseTarget(b)
  return left !== undefined && right !== undefined && left === right
}

function parseTarget(url: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^:@/]*)(?::[^@/]*)?@([^:/?]+)(?::(\d+))?(\/[^?]*)?(?:\?.*)?$/i.exec(url)
  if (!match) return undefined
  return `${match[1] ?? ''}@${(match[2] ?? '').toLowerCase()}:${match[3] ?? ''}${match[4] ?? ''}`
}

/** Where a URL points, without its credentials or querystring: for plans and messages (`dokku-postgres-db:5432/db`). */
export function describeTarget(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/?]+)(\/[^?]*)?/i.exec(url)
  return match ? `${match[1] ?? ''}${match[2] ?? ''}` : 'another value'
}
