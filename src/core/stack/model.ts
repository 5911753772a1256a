/**
 * The stack file (`dokku-stack.yml`, issue 14) once read and checked: what the root action
 * converges a Dokku host to. YAML keys are kebab-case in the file and camelCase here; the parser
 * (`./file.ts`) is the only place that knows the file's spelling, and it records where in the file
 * each value came from so that a problem found later (an unknown service in an app's `services`,
 * a secret missing from the environment) can still name the line.
 *
 * Secret values never live here: `secrets` lists variable names, and the values are read from the
 * step's environment when the stack is converged.
 */

export type ServiceEngine = 'postgres' | 'redis' | 'cockroach'
export type AccessLevel = 'read' | 'readwrite'
export type TlsMode = 'letsencrypt' | 'internal'

export interface ServiceSpec {
  engine: ServiceEngine
  /** `repository:tag[@sha256:…]`; absent: the engine's pinned default. */
  image?: string
  /** Memory limit in MiB. */
  memory?: number
}

export interface ObjectStoreSpec {
  /** The SeaweedFS Dokku app (default `seaweedfs`). */
  app: string
  image?: string
  buckets: string[]
  /** app → bucket → level. */
  access: Record<string, Record<string, AccessLevel>>
  /** The store's own public host name for S3 (routed through the proxy). */
  domain?: string
  region?: string
}

export interface ProxySpec {
  letsencryptEmail?: string
  /** `letsencrypt` (default) or `internal` (Caddy's own CA: for hosts without public DNS). */
  tls: TlsMode
}

export interface HealthcheckSpec {
  /** HTTP path probed on the app's port after a deploy, and by Caddy's active health check. */
  path: string
}

export type DeploySpec = { source: 'git'; branch?: string } | { image: string }

export interface StorageSpec {
  /** A Dokku named volume (0.38+) or an absolute host path. */
  source: string
  /** Absolute path inside the container. */
  target: string
}

export interface AppSpec {
  /** Names from the file's `services`, linked into the app in this order. */
  services: string[]
  /** Plain (non-secret) config values. */
  config: Record<string, string>
  /** Config keys whose values come from the step's environment variable of the same name. */
  secrets: string[]
  domains: string[]
  /** The port the app listens on inside its container. */
  port?: number
  storage: StorageSpec[]
  healthcheck?: HealthcheckSpec
  /** Absent: the app is provisioned (config, links, storage, domains) but not deployed. */
  deploy?: DeploySpec
}

export interface StackSpec {
  version: 1
  services: Record<string, ServiceSpec>
  objectStore?: ObjectStoreSpec
  proxy?: ProxySpec
  apps: Record<string, AppSpec>
}

/** Where a value sits in the stack file, for errors found after parsing. */
export interface SourceLocation {
  file: string
  line: number
  column: number
}

/** A path into the file's structure, in the file's own spelling: `['apps', 'uro', 'services', 0]`. */
export type StackPath = readonly (string | number)[]

export interface StackFile {
  spec: StackSpec
  /** The location of a path in the file (the nearest enclosing one that exists). */
  locate(path: StackPath): SourceLocation
}
