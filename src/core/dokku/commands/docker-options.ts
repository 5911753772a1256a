import { parseDockerOptionsReport, type DockerOptions } from '../parse/docker-options.js'
import { checkApp, type DokkuRunner } from '../runner.js'

/**
 * `docker-options:report` (docs/dokku-contract.md#docker-options): what the actions read to see how
 * a service is linked. Nothing here changes docker options.
 */
export class DockerOptionsCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** The stored entries per phase, as shell words. */
  async report(app: string): Promise<DockerOptions> {
    return parseDockerOptionsReport(await this.dokku.report('dockerOptions', checkApp(app)))
  }
}
