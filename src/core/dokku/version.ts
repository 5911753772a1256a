import { UnsupportedDokkuVersionError } from './errors.js'
import { GODOTENV_151_SINCE, type EnvFileFormat } from './parse/envfile.js'
import type { DokkuVersion } from './parse/version.js'

export type { DokkuVersion } from './parse/version.js'
export { parseDokkuVersion } from './parse/version.js'

/** `"0.38.21"` — a version written the way the contract's tables write it. */
export type VersionString = `${number}.${number}.${number}`

/** The oldest Dokku the toolkit supports: `proxy:ports*` are gone and `ports:*` is the only port API (contract §9). */
export const MIN_SUPPORTED_VERSION: VersionString = '0.32.0'

export function compareVersions(a: DokkuVersion, b: DokkuVersion | VersionString): number {
  const other = typeof b === 'string' ? toVersion(b) : b
  return a.major - other.major || a.minor - other.minor || a.patch - other.patch
}

export function atLeast(version: DokkuVersion, minimum: VersionString): boolean {
  return compareVersions(version, minimum) >= 0
}

/** Throws a message that tells the user to upgrade when the host is below the supported floor. */
export function assertSupportedVersion(version: DokkuVersion): void {
  if (!atLeast(version, MIN_SUPPORTED_VERSION))
    throw new UnsupportedDokkuVersionError(
      `The Dokku host runs version ${version.raw}, older than ${MIN_SUPPORTED_VERSION}, the oldest version dokku-stack supports. ` +
        `Upgrade Dokku on the host (https://dokku.com/docs/getting-started/upgrading/) and run the workflow again.`
    )
}

export function toVersion(text: VersionString): DokkuVersion {
  const [major, minor, patch] = text.split('.').map(Number) as [number, number, number]
  return { major, minor, patch, raw: text }
}

/**
 * What the host's Dokku can do, decided once from its version. Each entry names the first
 * version with the behaviour (contract §9, addendum §A.9; checked against the dokku tags).
 */
export interface DokkuFeatures {
  readonly version: DokkuVersion
  /** Deploy paths run inside the build capture: stderr merged onto stdout (§3.3). 0.38.0 */
  readonly buildCapture: boolean
  /** `apps:list --format json` (§4.3). 0.38.21 */
  readonly appsListJson: boolean
  /** `ps:scale --format json` (§4.8). 0.38.21 */
  readonly psScaleJson: boolean
  /** `storage:create` and named storage entries; `storage:ensure-directory` deprecated from 0.38.7 (§4.13). 0.38.0 */
  readonly namedStorage: boolean
  /** `storage:destroy --force` (dokku v0.38.10 plugins/storage/src/subcommands/subcommands.go; before, pflag exits 2 on it). 0.38.10 */
  readonly storageDestroyForce: boolean
  /** `storage:destroy --destroy-host-dir` (dokku v0.38.27 plugins/storage/src/subcommands/subcommands.go). 0.38.27 */
  readonly storageDestroyHostDir: boolean
  /** `docker-options:add` keeps duplicates (§4.15, §10.8): up to 0.37 it de-duplicated with `sort -u`. 0.38.0 */
  readonly dockerOptionsKeepDuplicates: boolean
  /** `docker-options:add --process` (§4.15). 0.38.0 */
  readonly dockerOptionsProcess: boolean
  /** `--global` on every `:report` (§9). 0.38.0 */
  readonly globalReports: boolean
  /** `caddy:labels:*` (§4.12). 0.37.0 */
  readonly caddyLabels: boolean
  /** `caddy:set --global tls-internal` (§4.12: "could not be set globally before 0.38.x"; the dokku tags show 0.38.5). */
  readonly caddyGlobalTlsInternal: boolean
  /** `caddy:report` flags split into `computed-*` / `global-*` (§4.12). 0.38.6 */
  readonly caddyComputedReport: boolean
  /** `plugin:list --format json` (§4.19). 0.38.22 */
  readonly pluginListJson: boolean
  /** `builds:*` plugin (addendum §A.7). 0.38.0 */
  readonly builds: boolean
  /** `resource:limit --process-type build` (§4.16). 0.38.0 */
  readonly resourceBuildProcess: boolean
  /** How the config plugin stores values: joho/godotenv v1.5.1 from 0.37.8 (dokku HISTORY 0.37.8 #8465, plugins/config/go.mod), v1.2.0 before. */
  readonly envFile: EnvFileFormat
  /** `config:import` (§4.5; not in the contract's version table, the dokku tags show 0.37.0). */
  readonly configImport: boolean
}

export function featuresOf(version: DokkuVersion): DokkuFeatures {
  const since = (minimum: VersionString) => atLeast(version, minimum)
  return {
    version,
    buildCapture: since('0.38.0'),
    appsListJson: since('0.38.21'),
    psScaleJson: since('0.38.21'),
    namedStorage: since('0.38.0'),
    storageDestroyForce: since('0.38.10'),
    storageDestroyHostDir: since('0.38.27'),
    dockerOptionsKeepDuplicates: since('0.38.0'),
    dockerOptionsProcess: since('0.38.0'),
    globalReports: since('0.38.0'),
    caddyLabels: since('0.37.0'),
    caddyGlobalTlsInternal: since('0.38.5'),
    caddyComputedReport: since('0.38.6'),
    pluginListJson: since('0.38.22'),
    builds: since('0.38.0'),
    resourceBuildProcess: since('0.38.0'),
    envFile: since(GODOTENV_151_SINCE) ? 'godotenv-1.5.1' : 'godotenv-1.2.0',
    configImport: since('0.37.0')
  }
}
