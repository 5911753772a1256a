import type { Readable, Writable } from 'node:stream'
import type { ExecResult } from '../../ssh/types.js'
import { DokkuArgumentError, ServiceNotFoundError, UnfulfilledCommandError, type DokkuCommandError } from '../errors.js'
import { CONFIG_KEY } from '../names.js'
import { mentions } from '../output.js'
import { parseDashList, parseServiceDsn, parseServiceInfo, parseServiceList, type ServiceDsn, type ServiceInfo } from '../parse/service.js'
import { CHANGED, checkApp, checkNotFlag, checkService, unchanged, type DokkuRunner, type Invocation, type Outcome, type StreamOptions } from '../runner.js'

/** The dokku-postgres (docs/dokku-contract.md#services) and dokku-redis (docs/dokku-contract.md#redis) plugins share their command code. */
export const SERVICE_PLUGINS = {
  postgres: { command: 'postgres', label: 'Postgres', exportTimeoutMs: undefined },
  // redis:export polls LASTSAVE and can wait forever (docs/dokku-contract.md#service-export-import): always bounded.
  redis: { command: 'redis', label: 'Redis', exportTimeoutMs: 30 * 60_000 }
} as const

export type ServicePlugin = keyof typeof SERVICE_PLUGINS

export interface ServiceCreateOptions {
  /** Image name (`--image`). */
  image?: string
  /** Image tag (`--image-version`). */
  imageVersion?: string
  /** Container environment (`--custom-env "A=b;C=d"`); values may not contain `;` or newlines. */
  customEnv?: Readonly<Record<string, string>>
  /** Memory limit in MB (`--memory`). */
  memory?: number
  /** `--shm-size`, e.g. `256m`. */
  shmSize?: string
  /** Extra server arguments (`--config-options`), e.g. redis `--maxmemory 100mb`. */
  configOptions?: string
  initialNetwork?: string
  postCreateNetwork?: string
  postStartNetwork?: string
}

/**
 * `<plugin>:create <svc> [flags]` with the long flag forms only: the short forms include `-n`, which
 * the dokku user's forced command swallows (it passes every argument through echo). No
 * `--password`: it would travel as a plain argument; the plugin's generated password is stronger.
 */
export function serviceCreateArgv(plugin: ServicePlugin, service: string, options: ServiceCreateOptions = {}): { argv: string[]; shown: string[] } {
  const argv = [`${SERVICE_PLUGINS[plugin].command}:create`, checkService(service)]
  const shown = [...argv]
  const flag = (name: string, value: string | undefined, secret = false) => {
    if (value === undefined) return
    argv.push(name, value)
    shown.push(name, secret ? '***' : value)
  }
  flag('--image', options.image === undefined ? undefined : checkNotFlag('Image', options.image))
  flag('--image-version', options.imageVersion === undefined ? undefined : checkNotFlag('Image version', options.imageVersion))
  flag('--custom-env', options.customEnv === undefined ? undefined : customEnv(options.customEnv), true)
  if (options.memory !== undefined && !(Number.isInteger(options.memory) && options.memory > 0))
    throw new DokkuArgumentError(`Service memory must be a whole number of megabytes; got ${options.memory}.`)
  flag('--memory', options.memory === undefined ? undefined : String(options.memory))
  flag('--shm-size', options.shmSize)
  flag('--config-options', options.configOptions)
  flag('--initial-network', options.initialNetwork)
  flag('--post-create-network', options.postCreateNetwork)
  flag('--post-start-network', options.postStartNetwork)
  return { argv, shown }
}

function customEnv(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => {
      if (!CONFIG_KEY.test(key)) throw new DokkuArgumentError(`"${key}" is not a valid environment variable name.`)
      if (/[;\n]/.test(value)) throw new DokkuArgumentError(`The custom-env value of ${key} may not contain ";" or a newline (the plugin splits on ";").`)
      return `${key}=${value}`
    })
    .join(';')
}

export interface LinkOptions extends StreamOptions {
  /** `--alias NAME`: the variable becomes `NAME_URL` (upper-cased, a trailing `_URL` stripped). */
  alias?: string
  /** `--querystring "a=b&c=d"` appended to the URL. */
  querystring?: string
  /** Let the plugin restart the app (off by default: `--no-restart`, never `-n`). */
  restart?: boolean
}

/**
 * `postgres:*` / `redis:*`. Service errors exit 1 (never 20) and become ServiceNotFoundError for a
 * missing service; a missing app still exits 20 (AppNotFoundError).
 */
export class ServiceCommands {
  readonly plugin: ServicePlugin
  private readonly dokku: DokkuRunner

  constructor(dokku: DokkuRunner, plugin: ServicePlugin) {
    this.dokku = dokku
    this.plugin = plugin
  }

  /** `<plugin>:exists`: exit 0 = yes, 1 = "… service <svc> does not exist". */
  async exists(service: string): Promise<boolean> {
    const invocation = { argv: [this.command('exists'), checkService(service)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return true
    if (result.code === 1 && this.isMissing(result, service)) return false
    throw this.dokku.failure(invocation, result)
  }

  /** `<plugin>:create`; `unchanged('exists')` for "… already exists" (exit 1). Its output (with the DSN) is never shown unmasked. */
  async create(service: string, options: ServiceCreateOptions = {}): Promise<Outcome> {
    const { argv, shown } = serviceCreateArgv(this.plugin, service, options)
    const invocation = { argv, shown }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, `service ${service} already exists`)) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** The full `<plugin>:info` block; the DSN's password is registered as a secret at once. */
  async info(service: string): Promise<ServiceInfo> {
    return parseServiceInfo((await this.serviceOk({ argv: [this.command('info'), checkService(service)] }, service)).stdout)
  }

  /** `<plugin>:info <svc> --dsn`, parsed; registered as a secret at once. */
  async dsn(service: string): Promise<ServiceDsn> {
    return parseServiceDsn((await this.serviceOk({ argv: [this.command('info'), checkService(service), '--dsn'] }, service)).stdout)
  }

  /** The apps in the service's `LINKS` (`--links`): Dokku's record, which may disagree with the app's config. */
  async links(service: string): Promise<string[]> {
    return parseDashList((await this.serviceOk({ argv: [this.command('info'), checkService(service), '--links'] }, service)).stdout)
  }

  /**
   * `<plugin>:link <svc> <app> [--alias A] [--querystring Q] [--no-restart]`. `unchanged('linked')`
   * for "Already linked as …" (exit 1). An alias already used by another value stays an error.
   */
  async link(service: string, app: string, options: LinkOptions = {}): Promise<Outcome> {
    const argv = [this.command('link'), checkService(service), checkApp(app)]
    if (options.alias !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.alias)) throw new DokkuArgumentError(`"${options.alias}" is not a valid alias: use letters, digits and underscores.`)
      argv.push('--alias', options.alias)
    }
    if (options.querystring !== undefined) argv.push('--querystring', checkNotFlag('Query string', options.querystring))
    if (!options.restart) argv.push('--no-restart')
    const invocation: Invocation = { argv, app, echoesConfig: true, deploy: options.restart ?? false, onOutput: options.onOutput }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Already linked as')) return unchanged('linked')
    return this.restartingChange(invocation, result, service)
  }

  /**
   * `<plugin>:unlink <svc> <app> [--no-restart]`; `unchanged('absent')` for "Not linked to app" (exit 1,
   * after Dokku already removed the docker option and the LINKS entry).
   */
  async unlink(service: string, app: string, options: Omit<LinkOptions, 'alias' | 'querystring'> = {}): Promise<Outcome> {
    const argv = [this.command('unlink'), checkService(service), checkApp(app), ...(options.restart ? [] : ['--no-restart'])]
    const invocation: Invocation = { argv, app, echoesConfig: true, deploy: options.restart ?? false, onOutput: options.onOutput }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Not linked to app')) return unchanged('absent')
    return this.restartingChange(invocation, result, service)
  }

  /**
   * Streams `<plugin>:export <svc>` into `sink` in constant memory: a `pg_dump -Fc` archive for
   * postgres, an RDB snapshot of the whole instance for redis (bounded by a timeout, 30 min by default).
   */
  async export(service: string, sink: Writable, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? SERVICE_PLUGINS[this.plugin].exportTimeoutMs
    const invocation: Invocation = { argv: [this.command('export'), checkService(service)], stdout: sink, ...(timeoutMs === undefined ? {} : { timeoutMs }) }
    await this.serviceOk(invocation, service)
  }

  /**
   * Streams `source` into `<plugin>:import <svc>`: `pg_restore --clean --if-exists` of a custom-format
   * dump for postgres; for redis it replaces the whole dataset and recreates the container.
   */
  async import(service: string, source: Readable, options: { timeoutMs?: number } = {}): Promise<void> {
    const invocation: Invocation = { argv: [this.command('import'), checkService(service)], stdin: source, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }
    await this.serviceOk(invocation, service)
  }

  /**
   * `<plugin>:connect <svc>` with `input` on stdin (no TTY): psql (`-v ON_ERROR_STOP=1`) or redis-cli
   * reads it as a script and prints the results on stdout (docs/dokku-contract.md#service-export-import, #redis).
   * A stream is piped with backpressure; if it fails, the channel closes without EOF.
   */
  async connect(service: string, input: string | Readable, options: { timeoutMs?: number } = {}): Promise<string> {
    const invocation: Invocation = { argv: [this.command('connect'), checkService(service)], stdin: input, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }
    return (await this.serviceOk(invocation, service)).stdout
  }

  /** `<plugin>:destroy <svc> -f` (`-f` after the name: a `--force` before it is read as the name, docs/dokku-contract.md#service-destroy). Linked services refuse. */
  async destroy(service: string): Promise<void> {
    await this.serviceOk({ argv: [this.command('destroy'), checkService(service), '-f'] }, service)
  }

  /** Every service name; `[]` when there are none. */
  async list(): Promise<string[]> {
    const result = await this.dokku.runOk({ argv: ['--quiet', this.command('list')] })
    return parseServiceList(result.stdout)
  }

  /**
   * `<plugin>:upgrade <svc> [--image I] [--image-version V] [--restart-apps true|false]`;
   * `unchanged('up-to-date')` when the service already runs that image. No data migration
   * between major versions (export, create, import instead).
   */
  async upgrade(service: string, options: { image?: string; imageVersion?: string; restartApps?: boolean } = {}): Promise<Outcome> {
    const argv = [this.command('upgrade'), checkService(service)]
    if (options.image !== undefined) argv.push('--image', checkNotFlag('Image', options.image))
    if (options.imageVersion !== undefined) argv.push('--image-version', checkNotFlag('Image version', options.imageVersion))
    if (options.restartApps !== undefined) argv.push('--restart-apps', String(options.restartApps))
    const invocation = { argv }
    const result = await this.dokku.run(invocation)
    if (result.code !== 0) throw this.failure(invocation, result, service)
    return mentions(result, `Service ${service} already running`) ? unchanged('up-to-date') : CHANGED
  }

  private command(sub: string): string {
    return `${SERVICE_PLUGINS[this.plugin].command}:${sub}`
  }

  private isMissing(result: ExecResult, service: string): boolean {
    return mentions(result, `service ${service} does not exist`)
  }

  private failure(invocation: Invocation, result: ExecResult, service: string): DokkuCommandError {
    if (result.code === 1 && this.isMissing(result, service))
      return new ServiceNotFoundError(SERVICE_PLUGINS[this.plugin].label, service, this.dokku.errorParams(invocation, result))
    return this.dokku.failure(invocation, result)
  }

  private async serviceOk(invocation: Invocation, service: string): Promise<ExecResult> {
    const result = await this.dokku.run(invocation)
    if (result.code !== 0) throw this.failure(invocation, result, service)
    return result
  }

  private restartingChange(invocation: Invocation, result: ExecResult, service: string): Outcome {
    if (result.code !== 0) throw this.failure(invocation, result, service)
    if (invocation.deploy && mentions(result, 'Failure while restarting app'))
      throw new UnfulfilledCommandError('exited 0, but the app restart it triggered failed', this.dokku.errorParams(invocation, result))
    return CHANGED
  }
}
