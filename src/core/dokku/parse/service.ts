import { registerSecret } from '../../secrets.js'
import { DokkuParseError } from '../errors.js'
import { parseReportText, parseSingleValue } from './report.js'

/** `postgres:info` / `redis:info` (docs/dokku-contract.md#service-info), with the DSN's password already registered as a secret. */
export interface ServiceInfo {
  readonly configDir: string
  readonly configOptions: string
  readonly dataDir: string
  readonly dsn: string
  /** `5432->12345` pairs; empty when not exposed (`-`). */
  readonly exposedPorts: readonly string[]
  readonly id: string
  readonly internalIp: string
  readonly initialNetwork: string
  /** Linked apps (`LINKS`); empty for `-`. */
  readonly links: readonly string[]
  readonly postCreateNetwork: string
  readonly postStartNetwork: string
  readonly serviceRoot: string
  /** Docker state (`running`, `exited`, `paused`, …) or `missing`. */
  readonly status: string
  /** `image:tag`; empty when the container is gone. */
  readonly version: string
}

/** Parses the full `postgres:info <svc>` / `redis:info <svc>` block (bash `printf "%-20s %-25s"` layout). */
export function parseServiceInfo(text: string): ServiceInfo {
  const report = parseReportText(text, null)
  const get = (key: string): string => {
    const value = report[key]
    if (value === undefined) throw new DokkuParseError('service info', text, `expected a "${key}" line`)
    return value
  }
  const dsn = get('dsn')
  registerDsn(dsn)
  return {
    configDir: get('config-dir'),
    configOptions: get('config-options'),
    dataDir: get('data-dir'),
    dsn,
    exposedPorts: parseDashList(get('exposed-ports')),
    id: get('id'),
    internalIp: get('internal-ip'),
    initialNetwork: report['initial-network'] ?? '',
    links: parseDashList(get('links')),
    postCreateNetwork: report['post-create-network'] ?? '',
    postStartNetwork: report['post-start-network'] ?? '',
    serviceRoot: get('service-root'),
    status: get('status'),
    version: report['version'] ?? ''
  }
}

/**
 * `--links` / `--exposed-ports`: `-` for none, otherwise space-joined with a trailing space
 * (`app1 app2 `, `5432->12345 `).
 */
export function parseDashList(value: string): string[] {
  const trimmed = parseSingleValue(value).trim()
  return trimmed === '-' || trimmed === '' ? [] : trimmed.split(/\s+/)
}

export interface ServiceDsn {
  readonly dsn: string
  readonly scheme: string
  /** `postgres` for dokku-postgres; empty for dokku-redis (`redis://:pw@…`). */
  readonly user: string
  readonly password: string
  readonly host: string
  readonly port: number
  /** The database name (postgres); empty for redis. */
  readonly database: string
}

/** Parses `postgres:info <svc> --dsn` / `redis:info <svc> --dsn` and registers the DSN and its password at once. */
export function parseServiceDsn(text: string): ServiceDsn {
  const dsn = parseSingleValue(text).trim()
  registerDsn(dsn)
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^:@/]*):([^@/]*)@([^:/?]+):(\d+)(?:\/([^?]*))?(?:\?.*)?$/i.exec(dsn)
  if (!match) throw new DokkuParseError('a service DSN', dsn, 'expected scheme://user:password@host:port[/database]')
  return {
    dsn,
    scheme: match[1] as string,
    user: match[2] as string,
    password: match[3] as string,
    host: match[4] as string,
    port: Number(match[5]),
    database: match[6] ?? ''
  }
}

/** Registers the DSN and the password inside it, before anything could print them. */
export function registerDsn(dsn: string): void {
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]+)@/i.exec(dsn)?.[1]
  if (password === undefined) return
  registerSecret(password)
  registerSecret(dsn)
}

/**
 * `--quiet postgres:list` / `--quiet redis:list`: one name a line. With no services the plugin
 * prints ` !     There are no … services` on stderr and exits 0, so stdout is empty.
 */
export function parseServiceList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('=====>') && !line.startsWith('!'))
}
