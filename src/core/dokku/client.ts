import type { Writable } from 'node:stream'
import type { Logger } from '../log.js'
import type { RemoteExecutor } from '../ssh/types.js'
import { AppsCommands } from './commands/apps.js'
import { BuildsCommands, LogsCommands } from './commands/builds.js'
import { CaddyCommands } from './commands/caddy.js'
import { ChecksCommands } from './commands/checks.js'
import { ConfigCommands } from './commands/config.js'
import { DockerOptionsCommands } from './commands/docker-options.js'
import { GitCommands } from './commands/git.js'
import { NetworkCommands } from './commands/network.js'
import { PluginCommands } from './commands/plugins.js'
import { NginxCommands, SchedulerCommands } from './commands/proxies.js'
import { PsCommands } from './commands/ps.js'
import { ResourceCommands } from './commands/resource.js'
import { DomainsCommands, PortsCommands, ProxyCommands } from './commands/routing.js'
import { ServiceCommands } from './commands/services.js'
import { StorageCommands } from './commands/storage.js'
import { DokkuArgumentError, DokkuCommandError } from './errors.js'
import { mentions, sanitizeOutput } from './output.js'
import { checkApp, DokkuRunner, type Invocation, type StreamOptions } from './runner.js'
import { assertSupportedVersion, featuresOf, MIN_SUPPORTED_VERSION, parseDokkuVersion, toVersion, type DokkuFeatures, type DokkuVersion } from './version.js'

/** The datastore plugins' commands (dokku-postgres, dokku-redis). */
export interface ServicePlugins {
  readonly postgres: ServiceCommands
  readonly redis: ServiceCommands
}

export interface ContainerCommandOptions extends StreamOptions {
  /** Pipe the container's stdout here instead of collecting it (large output). */
  stdout?: Writable
  timeoutMs?: number
}

export interface ContainerCommandResult {
  /** The container command's exit code. */
  readonly exitCode: number
  /** Collected stdout ('' when streamed to `stdout`), as the command printed it. */
  readonly stdout: string
  readonly stderr: string
}

/** Which container `enter` runs in. `containerId` is refused with a command (see `DokkuClient.enter`). */
export type EnterTarget = { processType: string; index?: number } | { containerId: string }

/**
 * The typed Dokku client: one method per command the actions use, in the form the host's
 * version expects, with each command's exit codes mapped to results or typed errors.
 *
 * ```ts
 * const dokku = await DokkuClient.create(executor, logger)
 * await dokku.apps.ensure('web')
 * await dokku.config.ensure('web', { MIX_ENV: 'prod' })
 * const deployed = await dokku.git.fromImage('web', 'ghcr.io/acme/web:1.2.3', { onOutput: logger.info })
 * ```
 */
export class DokkuClient {
  readonly version: DokkuVersion
  readonly features: DokkuFeatures
  readonly apps: AppsCommands
  readonly config: ConfigCommands
  readonly git: GitCommands
  readonly ps: PsCommands
  readonly ports: PortsCommands
  readonly domains: DomainsCommands
  readonly proxy: ProxyCommands
  readonly caddy: CaddyCommands
  readonly storage: StorageCommands
  readonly network: NetworkCommands
  readonly dockerOptions: DockerOptionsCommands
  readonly checks: ChecksCommands
  readonly resource: ResourceCommands
  readonly plugins: PluginCommands
  readonly postgres: ServiceCommands
  readonly redis: ServiceCommands
  readonly logs: LogsCommands
  readonly builds: BuildsCommands
  readonly nginx: NginxCommands
  readonly scheduler: SchedulerCommands
  private readonly dokku: DokkuRunner

  /** Learns the host's Dokku version once (`dokku version`) and refuses hosts below 0.32.0. */
  static async create(executor: RemoteExecutor, logger: Logger): Promise<DokkuClient> {
    const result = await executor.run(['version'])
    if (result.code !== 0)
      throw new DokkuCommandError({ command: 'dokku version', exitCode: result.code, stdout: sanitizeOutput(result.stdout), stderr: sanitizeOutput(result.stderr) })
    const version = parseDokkuVersion(result.stdout)
    assertSupportedVersion(version)
    logger.info(`Dokku ${version.raw} on the host`)
    return new DokkuClient(executor, logger, version)
  }

  /**
   * The datastore plugins' commands before the host's Dokku version is known: the plugins take the
   * same arguments on every supported Dokku, so a long export can start while `create` asks for
   * the version beside it. Built with the oldest supported version's features (the safe subset).
   */
  static servicePlugins(executor: RemoteExecutor, logger: Logger): ServicePlugins {
    const runner = new DokkuRunner(executor, logger, featuresOf(toVersion(MIN_SUPPORTED_VERSION)))
    return { postgres: new ServiceCommands(runner, 'postgres'), redis: new ServiceCommands(runner, 'redis') }
  }

  /** For a version already known; `create` is the usual way in. */
  constructor(executor: RemoteExecutor, logger: Logger, version: DokkuVersion) {
    this.version = version
    this.features = featuresOf(version)
    const dokku = new DokkuRunner(executor, logger, this.features)
    this.dokku = dokku
    this.apps = new AppsCommands(dokku)
    this.config = new ConfigCommands(dokku)
    this.git = new GitCommands(dokku)
    this.ps = new PsCommands(dokku)
    this.ports = new PortsCommands(dokku)
    this.domains = new DomainsCommands(dokku)
    this.proxy = new ProxyCommands(dokku)
    this.caddy = new CaddyCommands(dokku)
    this.storage = new StorageCommands(dokku)
    this.network = new NetworkCommands(dokku)
    this.dockerOptions = new DockerOptionsCommands(dokku)
    this.checks = new ChecksCommands(dokku)
    this.resource = new ResourceCommands(dokku)
    this.plugins = new PluginCommands(dokku)
    this.postgres = new ServiceCommands(dokku, 'postgres')
    this.redis = new ServiceCommands(dokku, 'redis')
    this.logs = new LogsCommands(dokku)
    this.builds = new BuildsCommands(dokku)
    this.nginx = new NginxCommands(dokku)
    this.scheduler = new SchedulerCommands(dokku)
  }

  /**
   * From now on, within this run, a read command sent twice is answered once, until something
   * written through this client could change its answer (see read-memo.ts). For a run that
   * observes the same host from several convergers; the root stack action turns it on.
   */
  rememberReads(): void {
    this.dokku.rememberReads()
  }

  /** Drops every remembered read: call after changing the host other than through this client (a git push). */
  forgetReads(): void {
    this.dokku.forgetReads()
  }

  /**
   * Deploys `image` with `git:from-image` so that `apps:report` ends up recording it, also when the
   * app's repository already names it. That happens after a `git:from-image` collided with another
   * deploy's lock: git-from-directory fetches the new commit into the app repository before it takes
   * the lock, and the lock failure exits before the branch is reset (dokku v0.38.27
   * plugins/git/git-from-directory:56-72), so the retry answers "No changes detected" (:50-53) while the
   * host still runs, and records, the previous deploy. `ps:rebuild` would build the right commit but
   * never records a deploy source (v0.38.27 plugins/ps/ps.go Rebuild → receive-app; only
   * git:from-* and the push hook call deploy-source-set), so every later report and rollback would be
   * wrong. Instead, when the recorded deploy is another image, that image is deployed again (it is
   * what runs: the collided attempt deployed nothing), which moves the repository off `image`, and
   * then `image` is deployed and recorded. Only when no image is recorded (nothing to go back through)
   * is the app rebuilt, and `recorded` is false: apps:report still names what ran before.
   *
   * `DeployLockedError` propagates from any step; calling this again continues correctly.
   */
  async deployImage(app: string, image: string, options: StreamOptions = {}): Promise<{ readonly via: 'deploy' | 'redeploy-previous' | 'rebuild' | 'already-recorded'; readonly recorded: boolean }> {
    if ((await this.git.fromImage(app, image, options)).changed) return { via: 'deploy', recorded: true }
    const report = await this.apps.report(app)
    if (report.deploySource === 'docker-image' && report.deploySourceMetadata === image) return { via: 'already-recorded', recorded: true }
    if (report.deploySource === 'docker-image' && report.deploySourceMetadata) {
      options.onOutput?.(`The repository of ${app} already names ${image} (a deploy that collided with another left it there) while ${report.deploySourceMetadata} runs; deploying that again first so that Dokku records ${image}.`)
      await this.git.fromImage(app, report.deploySourceMetadata, options)
      if (!(await this.git.fromImage(app, image, options)).changed)
        throw new DokkuArgumentError(`git:from-image ${app} ${image} still found no changes after ${report.deploySourceMetadata} was deployed again.`)
      return { via: 'redeploy-previous', recorded: true }
    }
    options.onOutput?.(`The repository of ${app} already names ${image} but Dokku records ${report.deploySource || 'no deploy'}; rebuilding it (Dokku records no deploy source for a rebuild).`)
    await this.ps.rebuild(app, options)
    return { via: 'rebuild', recorded: false }
  }

  /**
   * `dokku enter <app> <type>[.<n>] <command…>`: runs a command in a running container and returns
   * its exit code. A `containerId` target is refused: Dokku's `enter` takes the first word after
   * `--container-id <id>` as the container type and drops the id (dokku v0.38.27 and v0.37.5
   * plugins/enter/subcommands/default, the `*)` branch of its argument loop), so no argv can carry
   * both an id and a command; the id works only for an interactive shell, which this client never opens.
   */
  async enter(app: string, target: EnterTarget, command: readonly string[], options: ContainerCommandOptions = {}): Promise<ContainerCommandResult> {
    if (command.length === 0) throw new DokkuArgumentError('dokku enter needs a command.')
    if ('containerId' in target)
      throw new DokkuArgumentError(
        `dokku enter cannot run a command in container "${target.containerId}": Dokku drops --container-id when a command follows it and takes the command's first word as the process type. Name the process type and index instead ({ processType: 'web', index: 1 }).`
      )
    const argv = ['enter', checkApp(app), `${checkId(target.processType)}${target.index === undefined ? '' : `.${target.index}`}`, ...command]
    return this.containerCommand({ argv, app, ...streamOptions(options) }, /^ ! {5}(No container type specified|No containers found|Container is not running|Available types)/m)
  }

  private async containerCommand(invocation: Invocation, dokkuFailure: RegExp): Promise<ContainerCommandResult> {
    const result = await this.dokku.run(invocation)
    // `enter` exits with the container command's own code (docs/dokku-contract.md#run-enter, #exit-codes), which may be 20
    // as well: only Dokku's " !     App <app> does not exist" (docs/dokku-contract.md#exit-codes) makes exit 20 a missing app.
    const appMissing = result.code === 20 && mentions(result, ` !     App ${invocation.app ?? ''} does not exist`)
    if (result.code === null || appMissing || (result.code === 1 && mentions(result, dokkuFailure))) throw this.dokku.failure(invocation, result)
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr }
  }
}

function streamOptions(options: ContainerCommandOptions): Partial<Invocation> {
  const out: { stdout?: Writable; timeoutMs?: number; onOutput?: (line: string) => void } = {}
  if (options.stdout !== undefined) out.stdout = options.stdout
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs
  if (options.onOutput !== undefined) out.onOutput = options.onOutput
  return out
}

function checkId(value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new DokkuArgumentError(`"${value}" is not a process type or container id.`)
  return value
}
