import { UnsupportedDokkuVersionError } from './errors.js'
import { GODOTENV_151_SINCE, type EnvFileFormat } from './parse/envfile.js'
import type { DokkuVersion } from './parse/version.js'

export type { DokkuVersion } from './parse/version.js'
export { parseDokkuVersion } from './parse/version.js'

/** `"0.38.21"` — a version written the way the contract's tables write it. */
export type VersionString = `${number}.${number}.${number}`

/** The oldest Dokku the toolkit supports: `proxy:ports*` are gone and `ports:*` is the only port API (docs/dokku-contract.md#versions). */
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
 * version with the behaviour (docs/dokku-contract.md#versions; checked against the dokku tags).
 */
export interface DokkuFeatures {
  readonly version: DokkuVersion
  /** Deploy paths run inside the build capture: stderr merged onto stdout (docs/dokku-contract.md#build-capture). 0.38.0 */
  readonly buildCapture: boolean
  /** `apps:list --format json` (docs/dokku-contract.md#apps-list). 0.38.21 */
  readonly appsListJson: boolean
  /** `ps:scale --format json` (docs/dokku-contract.md#ps-scale). 0.38.21 */
  readonly psScaleJson: boolean
  /** `storage:create` and named storage entries; `storage:ensure-directory` deprecated from 0.38.7 (docs/dokku-contract.md#storage-named). 0.38.0 */
  readonly namedStorage: boolean
  /** `storage:destroy --force` (dokku v0.38.10 plugins/storage/src/subcommands/subcommands.go; before, pflag exits 2 on it). 0.38.10 */
  readonly storageDestroyForce: boolean
  /** `storage:destroy --destroy-host-dir` (dokku v0.38.27 plugins/storage/src/subcommands/subcommands.go). 0.38.27 */
  readonly storageDestroyHostDir: boolean
  /** `docker-options:add` keeps duplicates (docs/dokku-contract.md#docker-options-add): up to 0.37 it de-duplicated with `sort -u`. 0.38.0 */
  readonly dockerOptionsKeepDuplicates: boolean
  /** `docker-options:add --process` (docs/dokku-contract.md#docker-options-add). 0.38.0 */
  readonly dockerOptionsProcess: boolean
  /** `--global` on every `:report` (docs/dokku-contract.md#versions). 0.38.0 */
  readonly globalReports: boolean
  /** `caddy:labels:*` (docs/dokku-contract.md#caddy-labels). 0.37.0 */
  readonly caddyLabels: boolean
  /** `caddy:set --global tls-internal` (docs/dokku-contract.md#caddy; the dokku tags show 0.38.5). */
  readonly caddyGlobalTlsInternal: boolean
  /** `caddy:report` flags split into `computed-*` / `global-*` (docs/dokku-contract.md#caddy). 0.38.6 */
  readonly caddyComputedReport: boolean
  /** `plugin:list --format json` (docs/dokku-contract.md#plugins). 0.38.22 */
  readonly pluginListJson: boolean
  /** `builds:*` plugin (docs/dokku-contract.md#builds). 0.38.0 */
  readonly builds: boolean
  /** `resource:limit --process-type build` (docs/dokku-contract.md#resource). 0.38.0 */
  readonly resourceBuildProcess: boolean
  /** How the config plugin stores values: joho/godotenv v1.5.1 from 0.37.8 (dokku HISTORY 0.37.8 #8465, plugins/config/go.mod), v1.2.0 before. */
  readonly envFile: EnvFileFormat
  /** `config:import` (docs/dokku-contract.md#config-import). */
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
