import type { Readable } from 'node:stream'
import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import { targetArg, type Target } from '../forms.js'
import { mentions } from '../output.js'
import type { Report } from '../parse/report.js'
import { atLeast } from '../version.js'
import { CHANGED, checkApp, checkNotFlag, checkTarget, unchanged, type DokkuRunner, type Invocation, type Outcome, type StreamOptions } from '../runner.js'

export const GIT_KEYS = ['archive-max-files', 'archive-max-size', 'deploy-branch', 'keep-git-dir', 'rev-env-var', 'source-image'] as const
export type GitKey = (typeof GIT_KEYS)[number]

/**
 * `git:*` (docs/dokku-contract.md#git, #git-from-archive). The forced command splits git commands on whitespace
 * with no quoting (docs/dokku-contract.md#forced-command), so no argument may contain whitespace; the transport refuses such
 * arguments before sending. All deploy commands take the deploy lock and fail at once if another
 * deploy holds it (DeployLockedError).
 */
export class GitCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /**
   * `git:from-image <app> <image>`: commits `FROM <image>` and deploys. `unchanged('no-changes')`
   * when the image reference equals the deployed one (exit 1 "No changes detected", since 0.29.3);
   * `force` only forces the pull, it never redeploys the same reference (docs/dokku-contract.md#git-from-image). Use
   * immutable tags or digests, or `ps.rebuild` to redeploy.
   */
  async fromImage(app: string, image: string, options: { force?: boolean } & StreamOptions = {}): Promise<Outcome> {
    const argv = ['git:from-image', ...(options.force ? ['--force'] : []), checkApp(app), checkNotFlag('Image', image)]
    return this.deploy({ argv, app, deploy: true, onOutput: options.onOutput })
  }

  /**
   * `git:from-archive [--archive-type t] <app> --` with the archive streamed on stdin (a literal `--`
   * selects stdin; `-` would be taken as a URL, docs/dokku-contract.md#git-from-archive). The archive is the complete new tree.
   */
  async fromArchive(app: string, archive: Readable, options: { archiveType?: 'tar' | 'tar.gz' | 'zip' } & StreamOptions = {}): Promise<Outcome> {
    const argv = ['git:from-archive', ...(options.archiveType ? ['--archive-type', options.archiveType] : []), checkApp(app), '--']
    return this.deploy({ argv, app, stdin: archive, deploy: true, onOutput: options.onOutput })
  }

  /**
   * `git:set <app>|--global <key> [<value>]`; no value unsets. Values cannot contain whitespace (docs/dokku-contract.md#forced-command).
   * `archive-max-files`/`archive-max-size` exist from 0.38.2 (dokku v0.38.2 plugins/git/subcommands/set
   * VALID_KEYS; v0.37.5 has four keys and fails "Invalid key specified").
   */
  async set(target: Target, key: GitKey, value?: string): Promise<void> {
    if (!GIT_KEYS.includes(key)) throw new DokkuArgumentError(`Unknown git property "${String(key)}"; valid: ${GIT_KEYS.join(', ')}.`)
    if (key.startsWith('archive-max-') && !atLeast(this.dokku.features.version, '0.38.2'))
      throw new DokkuFeatureUnavailableError(`The git property "${key}" (archive size limits)`, '0.38.2', this.dokku.features.version.raw)
    const argv = ['git:set', targetArg(checkTarget(target)), key, ...(value === undefined ? [] : [value])]
    await this.dokku.runOk(typeof target === 'string' ? { argv, app: target } : { argv })
  }

  /**
   * `git:report`: keys such as `deploy-branch`, `computed-deploy-branch` (0.38+), `sha` (full sha
   * of the repository HEAD; may be empty for push apps, docs/dokku-contract.md#deployed-state), `source-image`, `rev-env-var`.
   */
  async report(target: Target): Promise<Report> {
    return this.dokku.report('git', checkTarget(target))
  }

  private async deploy(invocation: Invocation): Promise<Outcome> {
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'No changes detected')) return unchanged('no-changes')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }
}
