// How to say a thing to a given Dokku version: pure functions from DokkuFeatures to argv and back
// from output to values. The client calls these; tests table-test them without any host.
import { DokkuArgumentError, DokkuFeatureUnavailableError } from './errors.js'
import { parseAppsListJson, parseAppsListText } from './parse/apps.js'
import { parseReportJson, parseReportText, type Report, type ReportKeyStyle } from './parse/report.js'
import type { DokkuFeatures, VersionString } from './version.js'
import { atLeast } from './version.js'

/** Targets a `--global` property or report instead of an app: `dokku.caddy.set(GLOBAL, 'letsencrypt-email', …)`. */
export const GLOBAL: unique symbol = Symbol('dokku --global')
export type Target = string | typeof GLOBAL

export function targetArg(target: Target): string {
  return target === GLOBAL ? '--global' : target
}

// ---------------------------------------------------------------------------------------------
// :report commands (docs/dokku-contract.md#reports, #versions). Checked against the dokku tags: the Go reports have had
// `--format json` since before 0.32 with flag-named ("legacy") keys, stripped keys from 0.38.8;
// storage and docker-options were bash reports (no JSON) until 0.38.0; domains, caddy, checks and
// git were bash until 0.38.22, with jq JSON (stripped keys) from 0.38.0.

type ReportImpl = 'go' | 'bash-until-0.38.0' | 'bash-json-from-0.38.0'

interface ReportKindInfo {
  readonly command: string
  /** The flag prefix (`--app-locked` → `app`). */
  readonly prefix: string
  readonly impl: ReportImpl
  readonly since?: VersionString
}

export const REPORT_KINDS = {
  apps: { command: 'apps:report', prefix: 'app', impl: 'go' },
  ps: { command: 'ps:report', prefix: 'ps', impl: 'go' },
  ports: { command: 'ports:report', prefix: 'ports', impl: 'go' },
  proxy: { command: 'proxy:report', prefix: 'proxy', impl: 'go' },
  network: { command: 'network:report', prefix: 'network', impl: 'go' },
  resource: { command: 'resource:report', prefix: 'resource', impl: 'go' },
  storage: { command: 'storage:report', prefix: 'storage', impl: 'bash-until-0.38.0' },
  dockerOptions: { command: 'docker-options:report', prefix: 'docker-options', impl: 'bash-until-0.38.0' },
  domains: { command: 'domains:report', prefix: 'domains', impl: 'bash-json-from-0.38.0' },
  caddy: { command: 'caddy:report', prefix: 'caddy', impl: 'bash-json-from-0.38.0' },
  checks: { command: 'checks:report', prefix: 'checks', impl: 'bash-json-from-0.38.0' },
  git: { command: 'git:report', prefix: 'git', impl: 'bash-json-from-0.38.0' },
  builds: { command: 'builds:report', prefix: 'builds', impl: 'go', since: '0.38.0' },
  scheduler: { command: 'scheduler:report', prefix: 'scheduler', impl: 'go' }
} as const satisfies Record<string, ReportKindInfo>

export type ReportKind = keyof typeof REPORT_KINDS

export interface ReportRequest {
  readonly argv: string[]
  readonly format: 'json' | 'text'
  readonly keyStyle: ReportKeyStyle
  readonly prefix: string
}

/** The argv to read a whole report, and how to read its output. */
export function reportRequest(kind: ReportKind, target: Target, features: DokkuFeatures): ReportRequest {
  const info: ReportKindInfo = REPORT_KINDS[kind]
  if (info.since && !atLeast(features.version, info.since)) throw new DokkuFeatureUnavailableError(`\`${info.command}\``, info.since, features.version.raw)
  if (target === GLOBAL && !features.globalReports) throw new DokkuFeatureUnavailableError(`\`${info.command} --global\``, '0.38.0', features.version.raw)
  const json = info.impl === 'go' || atLeast(features.version, '0.38.0')
  const keyStyle: ReportKeyStyle = info.impl === 'bash-json-from-0.38.0' || atLeast(features.version, '0.38.8') ? 'stripped' : 'legacy'
  const argv = [info.command, targetArg(target)]
  return json ? { argv: [...argv, '--format', 'json'], format: 'json', keyStyle, prefix: info.prefix } : { argv, format: 'text', keyStyle, prefix: info.prefix }
}

export function parseReport(stdout: string, request: ReportRequest): Report {
  return request.format === 'json' ? parseReportJson(stdout, request.prefix, request.keyStyle) : parseReportText(stdout, request.prefix)
}

// ---------------------------------------------------------------------------------------------
// apps:list (docs/dokku-contract.md#apps-list)

/** `apps:list --format json` from 0.38.21, otherwise the quiet text form (global flags go before the command). */
export function appsListArgv(features: DokkuFeatures): string[] {
  return features.appsListJson ? ['apps:list', '--format', 'json'] : ['--quiet', 'apps:list']
}

export function parseAppsList(stdout: string, features: DokkuFeatures): string[] {
  return features.appsListJson ? parseAppsListJson(stdout) : parseAppsListText(stdout)
}

// ---------------------------------------------------------------------------------------------
// storage (docs/dokku-contract.md#storage, #cockroach-app)

/** Ownership for a storage directory: a named preset or a numeric uid ≤ 65535. */
export type StorageChown = 'herokuish' | 'heroku' | 'paketo' | 'root' | 'false' | number

/** Where Dokku keeps storage directories; the legacy mount form names the host path. */
export const STORAGE_ROOT = '/var/lib/dokku/data/storage'

/**
 * Creates the storage directory `name`: `storage:create` (named entry) from 0.38, where
 * `storage:ensure-directory` is deprecated (0.38.7 warns); `storage:ensure-directory` before.
 * Both are idempotent.
 */
export function storageCreateArgv(name: string, chown: StorageChown, features: DokkuFeatures): string[] {
  checkStorageName(name)
  if (typeof chown === 'number' && !(Number.isInteger(chown) && chown >= 0 && chown <= 65535))
    throw new DokkuArgumentError(`Storage owner uid ${chown} is invalid: use a whole number from 0 to 65535.`)
  return features.namedStorage
    ? ['storage:create', name, '--chown', String(chown)]
    : ['storage:ensure-directory', '--chown', String(chown), name]
}

/** Mounts storage `name` at `containerDir`: the named-entry form from 0.38, the `host:container` form before. */
export function storageMountArgv(app: string, name: string, containerDir: string, features: DokkuFeatures): string[] {
  checkStorageName(name)
  return features.namedStorage
    ? ['storage:mount', app, name, '--container-dir', containerDir]
    : ['storage:mount', app, `${STORAGE_ROOT}/${name}:${containerDir}`]
}

export function storageUnmountArgv(app: string, name: string, containerDir: string, features: DokkuFeatures): string[] {
  checkStorageName(name)
  return features.namedStorage
    ? ['storage:unmount', app, name, '--container-dir', containerDir]
    : ['storage:unmount', app, `${STORAGE_ROOT}/${name}:${containerDir}`]
}

/** Named storage (docs/dokku-contract.md#storage): letters, digits, `_` and `-`. */
export const STORAGE_NAME = /^[A-Za-z0-9_-]+$/

function checkStorageName(name: string): void {
  if (!STORAGE_NAME.test(name))
    throw new DokkuArgumentError(`Storage name "${name}" is invalid: Dokku accepts only letters, digits, "_" and "-".`)
}

/**
 * Destroys the named storage entry `name` (0.38.0+). `--force` (skip the confirmation prompt) exists
 * only from 0.38.10: dokku v0.38.0 plugins/storage/src/subcommands/subcommands.go parses
 * `storage:destroy` with a flag set that has no flags at all, so pflag answers "unknown flag: --force"
 * with exit 2; the command never prompted before 0.38.10, so nothing replaces the flag there.
 * `--destroy-host-dir` exists from 0.38.27 (dokku v0.38.27, same file); `hostDir` says whether it
 * was sent.
 */
export function storageDestroyArgv(name: string, options: { destroyHostDir?: boolean }, features: DokkuFeatures): { argv: string[]; hostDir: boolean } {
  if (!features.namedStorage) throw new DokkuFeatureUnavailableError('`storage:destroy`', '0.38.0', features.version.raw)
  checkStorageName(name)
  const hostDir = (options.destroyHostDir ?? false) && features.storageDestroyHostDir
  return { argv: ['storage:destroy', name, ...(features.storageDestroyForce ? ['--force'] : []), ...(hostDir ? ['--destroy-host-dir'] : [])], hostDir }
}

/** `storage:list <app> --format json` exists on every supported version (bash before 0.38, without `entry_name`). */
export function storageListArgv(app: string): string[] {
  return ['storage:list', app, '--format', 'json']
}

// ---------------------------------------------------------------------------------------------
// caddy (docs/dokku-contract.md#caddy)

export const CADDY_KEYS = ['image', 'letsencrypt-email', 'letsencrypt-server', 'log-level', 'polling-interval', 'tls-internal'] as const
export type CaddyKey = (typeof CADDY_KEYS)[number]
/** Keys only `--global` may set: 0.38.3+ refuses them per app, older versions accept and ignore them. */
export const CADDY_GLOBAL_ONLY_KEYS: readonly CaddyKey[] = ['image', 'letsencrypt-email', 'letsencrypt-server', 'log-level', 'polling-interval']

export function caddySetArgv(target: Target, key: CaddyKey, value: string | undefined, features: DokkuFeatures): string[] {
  if (!CADDY_KEYS.includes(key)) throw new DokkuArgumentError(`Unknown caddy property "${String(key)}"; valid: ${CADDY_KEYS.join(', ')}.`)
  if (target !== GLOBAL && CADDY_GLOBAL_ONLY_KEYS.includes(key))
    throw new DokkuArgumentError(`The caddy property "${key}" can only be set globally; Dokku before 0.38.3 would accept it for app "${target}" and ignore it.`)
  if (target === GLOBAL && key === 'tls-internal' && !features.caddyGlobalTlsInternal)
    throw new DokkuFeatureUnavailableError('`caddy:set --global tls-internal`', '0.38.5', features.version.raw)
  return value === undefined ? ['caddy:set', targetArg(target), key] : ['caddy:set', targetArg(target), key, value]
}

/** Caddy settings in effect (per app), or as set globally (`GLOBAL`: raw values, '' when unset). */
export interface CaddySettings {
  readonly image: string
  readonly letsencryptEmail: string
  readonly letsencryptServer: string
  readonly logLevel: string
  readonly pollingInterval: string
  readonly tlsInternal: string
}

/**
 * Reads caddy settings from a caddy report. For an app the effective value is the `computed-*`
 * key where the version has one (all keys from 0.38.6, `tls-internal` from 0.38.5), else the plain
 * key, which held the effective value up to 0.38.5. For `GLOBAL` (0.38.6+) the raw `global-*`
 * values: 0.38.0–0.38.5 `--global` keeps only `*-global-*` flags, of which there were none useful.
 */
export function caddySettingsFromReport(report: Report, target: Target, features: DokkuFeatures): CaddySettings {
  if (target === GLOBAL && !features.caddyComputedReport)
    throw new DokkuFeatureUnavailableError('Reading global caddy settings (`caddy:report --global`)', '0.38.6', features.version.raw)
  const read = (key: CaddyKey): string => (target === GLOBAL ? report[`global-${key}`] : (report[`computed-${key}`] ?? report[key])) ?? ''
  return {
    image: read('image'),
    letsencryptEmail: read('letsencrypt-email'),
    letsencryptServer: read('letsencrypt-server'),
    logLevel: read('log-level'),
    pollingInterval: read('polling-interval'),
    tlsInternal: read('tls-internal')
  }
}

// ---------------------------------------------------------------------------------------------
// git:report deploy-branch

/**
 * The app's deploy branch as configured (not a fallback), read from `git:report`, or undefined
 * when unset or when the report cannot tell. From 0.38.4 `deploy-branch` is the raw property (dokku
 * v0.38.4 plugins/git/internal-functions:381, v0.38.27 plugins/git/report.go reportDeployBranch).
 * Up to 0.38.3 it is the property with a `master` default (dokku v0.37.5
 * plugins/git/internal-functions:309), so `master` there means "master or unset". Dokku deploys the
 * app's branch, else the global one, else master (v0.37.5 internal-functions fn-git-deploy-branch):
 * when the global one (also `master`-defaulted) is master, both readings deploy master, so `master`
 * is reported; otherwise the report cannot tell, and undefined makes the caller set the branch.
 */
export function configuredDeployBranch(report: Report, features: DokkuFeatures): string | undefined {
  const branch = report['deploy-branch'] || undefined
  if (atLeast(features.version, '0.38.4') || branch !== 'master') return branch
  return (report['global-deploy-branch'] || 'master') === 'master' ? branch : undefined
}

