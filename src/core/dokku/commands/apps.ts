import { appsListArgv, parseAppsList } from '../forms.js'
import { mentions } from '../output.js'
import { CHANGED, checkApp, unchanged, type DokkuRunner, type Outcome, type StreamOptions } from '../runner.js'

export interface AppReport {
  /** Unix seconds; undefined if not recorded. */
  readonly createdAt: number | undefined
  /** `git-push`, `git-sync`, `docker-image`, `tar`, `tar.gz`, `zip`, or '' (docs/dokku-contract.md#deployed-state). Writable with `apps:set`: not tamper-proof. */
  readonly deploySource: string
  /** Commit sha, `<remote>#<sha>`, image reference, archive URL or `--`. */
  readonly deploySourceMetadata: string
  readonly dir: string
  readonly locked: boolean
}

/** `apps:*` (docs/dokku-contract.md#apps, #deploy-lock, #apps-clone). */
export class AppsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** `apps:exists`: exit 0 = yes, 20 = no. */
  async exists(app: string): Promise<boolean> {
    const invocation = { argv: ['apps:exists', checkApp(app)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return true
    if (result.code === 20) return false
    throw this.dokku.failure(invocation, result)
  }

  /** Every app, sorted as Dokku sorts them; `[]` when there are none (which Dokku reports on stderr with exit 0). */
  async list(): Promise<string[]> {
    const result = await this.dokku.runOk({ argv: appsListArgv(this.dokku.features) })
    return parseAppsList(result.stdout, this.dokku.features)
  }

  /** `apps:create`; `unchanged('exists')` for Dokku's "Name is already taken" (exit 1). */
  async create(app: string): Promise<Outcome> {
    const invocation = { argv: ['apps:create', checkApp(app)] }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Name is already taken')) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** Creates the app unless it exists (checks first, so no failure is logged on the host). */
  async ensure(app: string): Promise<Outcome> {
    return (await this.exists(app)) ? unchanged('up-to-date') : this.create(app)
  }

  /** `apps:destroy --force`: linked services survive and lose the app from their links. Missing app → AppNotFoundError. */
  async destroy(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['apps:destroy', '--force', checkApp(app)], app })
  }

  async report(app: string): Promise<AppReport> {
    const report = await this.dokku.report('apps', checkApp(app))
    const createdAt = report['created-at'] ?? ''
    return {
      createdAt: /^\d+$/.test(createdAt) ? Number(createdAt) : undefined,
      deploySource: report['deploy-source'] ?? '',
      deploySourceMetadata: report['deploy-source-metadata'] ?? '',
      dir: report['dir'] ?? '',
      locked: report['locked'] === 'true'
    }
  }

  /**
   * `apps:clone [--skip-deploy] [--ignore-existing] <old> <new>` (docs/dokku-contract.md#apps-clone). The clone shares
   * the source's linked services and storage, and gets default domains. `unchanged('exists')`
   * when the target exists: Dokku then changes nothing (with --ignore-existing it exits 0, without it 1).
   */
  async clone(source: string, target: string, options: { skipDeploy?: boolean; ignoreExisting?: boolean } & StreamOptions = {}): Promise<Outcome> {
    const argv = ['apps:clone']
    if (options.skipDeploy) argv.push('--skip-deploy')
    if (options.ignoreExisting) argv.push('--ignore-existing')
    argv.push(checkApp(source), checkApp(target))
    const invocation = { argv, app: source, deploy: true, onOutput: options.onOutput }
    const result = await this.dokku.run(invocation)
    if ((result.code === 0 || result.code === 1) && mentions(result, 'Name is already taken')) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** `apps:lock`: a marker only; it blocks no deploy, and the next deploy deletes it (docs/dokku-contract.md#deploy-lock). */
  async lock(app: string): Promise<void> {
    await this.dokku.runOk({ argv: ['apps:lock', checkApp(app)], app })
  }

  /** `apps:unlock`; `unchanged('absent')` when there was no lock ("Unable to remove deploy lock", exit 1). */
  async unlock(app: string): Promise<Outcome> {
    const invocation = { argv: ['apps:unlock', checkApp(app)], app }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Unable to remove deploy lock')) return unchanged('absent')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** `apps:locked`: exit 0 = a lock file exists, 1 = none ("Deploy lock does not exist"), 20 = no such app. */
  async locked(app: string): Promise<boolean> {
    const invocation = { argv: ['apps:locked', checkApp(app)], app }
    const result = await this.dokku.run(invocation)
    if (result.code === 0) return true
    if (result.code === 1) return false
    throw this.dokku.failure(invocation, result)
  }
}
