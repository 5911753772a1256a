import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import {
  DOCKER_OPTION_PHASES,
  dockerOptionEntries,
  hasDockerOption,
  parseDockerOptionsReport,
  splitDockerOptionEntries,
  type DockerOptionPhase,
  type DockerOptions
} from '../parse/docker-options.js'
import { posixQuote } from '../../ssh/quote.js'
import { CHANGED, checkApp, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

export interface DockerOptionScope {
  /** Only for one process type (deploy phase only, Dokku 0.38+). */
  process?: string
}

/**
 * `docker-options:*` (docs/dokku-contract.md#docker-options). Changes apply to containers created afterwards (deploy or
 * `ps:rebuild`). `add` is not idempotent from 0.38 (duplicates are stored) and `remove` exits 0
 * when nothing matched: use `ensure` / `ensureAbsent`, which read the report first.
 */
export class DockerOptionsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** `docker-options:add [--process P] <app> <phases> <option>` (flags must precede the app here, docs/dokku-contract.md#global-flags). */
  async add(app: string, phases: readonly DockerOptionPhase[], option: string, scope: DockerOptionScope = {}): Promise<void> {
    await this.dokku.runOk({ argv: this.argv('docker-options:add', app, phases, option, scope), app })
  }

  /** `docker-options:remove …`: removes every equal entry; exits 0 even when nothing matched. */
  async remove(app: string, phases: readonly DockerOptionPhase[], option: string, scope: DockerOptionScope = {}): Promise<void> {
    await this.dokku.runOk({ argv: this.argv('docker-options:remove', app, phases, option, scope), app })
  }

  /** The stored entries per phase, as shell words. */
  async report(app: string): Promise<DockerOptions> {
    return parseDockerOptionsReport(await this.dokku.report('dockerOptions', checkApp(app)))
  }

  /** Adds, per phase, only the entries of `option` that are not stored yet. */
  async ensure(app: string, phases: readonly DockerOptionPhase[], option: string, scope: DockerOptionScope = {}): Promise<Outcome> {
    const missing = await this.diff(app, phases, option, scope, false)
    for (const [phase, entries] of missing) await this.add(app, [phase], render(entries), scope)
    return missing.length === 0 ? unchanged('up-to-date') : CHANGED
  }

  /** Removes, per phase, the entries of `option` that are stored. */
  async ensureAbsent(app: string, phases: readonly DockerOptionPhase[], option: string, scope: DockerOptionScope = {}): Promise<Outcome> {
    const present = await this.diff(app, phases, option, scope, true)
    for (const [phase, entries] of present) await this.remove(app, [phase], render(entries), scope)
    return present.length === 0 ? unchanged('up-to-date') : CHANGED
  }

  /** Per phase, the entries of `option` whose presence equals `stored`. */
  private async diff(
    app: string,
    phases: readonly DockerOptionPhase[],
    option: string,
    scope: DockerOptionScope,
    stored: boolean
  ): Promise<[DockerOptionPhase, string[][]][]> {
    const wanted = splitDockerOptionEntries(option)
    const report = await this.dokku.report('dockerOptions', checkApp(app))
    const result: [DockerOptionPhase, string[][]][] = []
    for (const phase of checkPhases(phases, scope)) {
      const current = dockerOptionEntries(report, scope.process ? `deploy-${scope.process}` : phase)
      const entries = wanted.filter((entry) => hasDockerOption(current, entry) === stored)
      if (entries.length > 0) result.push([phase, entries])
    }
    return result
  }

  private argv(command: string, app: string, phases: readonly DockerOptionPhase[], option: string, scope: DockerOptionScope): string[] {
    if (option.trim() === '') throw new DokkuArgumentError('A docker option is required.')
    const processFlag = scope.process ? ['--process', checkProcess(scope.process, this.dokku.features.dockerOptionsProcess, this.dokku.features.version.raw)] : []
    return [command, ...processFlag, checkApp(app), checkPhases(phases, scope).join(','), option]
  }
}

function checkPhases(phases: readonly DockerOptionPhase[], scope: DockerOptionScope): readonly DockerOptionPhase[] {
  if (phases.length === 0 || !phases.every((p) => DOCKER_OPTION_PHASES.includes(p)))
    throw new DokkuArgumentError(`Docker option phases must be some of ${DOCKER_OPTION_PHASES.join(', ')}.`)
  if (scope.process && phases.some((p) => p !== 'deploy')) throw new DokkuArgumentError('Per-process docker options exist only for the deploy phase.')
  return phases
}

function checkProcess(process: string, available: boolean, version: string): string {
  if (!available) throw new DokkuFeatureUnavailableError('`docker-options --process`', '0.38.0', version)
  if (!/^[A-Za-z0-9_-]+$/.test(process)) throw new DokkuArgumentError(`"${process}" is not a process type name.`)
  return process
}

/** Entries back to one option string that Dokku tokenises into the same words. */
function render(entries: readonly (readonly string[])[]): string {
  return entries.map((words) => words.map(posixQuote).join(' ')).join(' ')
}
