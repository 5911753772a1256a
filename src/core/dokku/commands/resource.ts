import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import type { Report } from '../parse/report.js'
import { checkApp, type DokkuRunner } from '../runner.js'

/** Resource limits; a value of `clear` removes one. Memory without a unit means megabytes (docs/dokku-contract.md#resource). */
export interface ResourceLimits {
  cpu?: string
  memory?: string
  memorySwap?: string
  network?: string
  networkIngress?: string
  networkEgress?: string
  nvidiaGpu?: string
}

const LIMIT_FLAGS: Record<keyof ResourceLimits, string> = {
  cpu: '--cpu',
  memory: '--memory',
  memorySwap: '--memory-swap',
  network: '--network',
  networkIngress: '--network-ingress',
  networkEgress: '--network-egress',
  nvidiaGpu: '--nvidia-gpu'
}

/** `resource:limit [--process-type P] [--<key> value]… <app>`. */
export function resourceLimitArgv(app: string, limits: ResourceLimits, processType?: string): string[] {
  const argv = ['resource:limit']
  if (processType !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(processType)) throw new DokkuArgumentError(`"${processType}" is not a process type name.`)
    argv.push('--process-type', processType)
  }
  for (const [key, flag] of Object.entries(LIMIT_FLAGS) as [keyof ResourceLimits, string][]) {
    const value = limits[key]
    if (value === undefined) continue
    if (!/^[A-Za-z0-9.]+$/.test(value)) throw new DokkuArgumentError(`Resource limit ${key} "${value}" is invalid: use a number with an optional unit (e.g. 512m, 1.5) or "clear".`)
    argv.push(flag, value)
  }
  if (argv.length === (processType === undefined ? 1 : 3)) throw new DokkuArgumentError('resource:limit needs at least one limit.')
  argv.push(checkApp(app))
  return argv
}

/** `resource:*` (docs/dokku-contract.md#resource). Limits apply to containers created afterwards. */
export class ResourceCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** Sets limits (idempotent); `processType: 'build'` (the build container) needs Dokku 0.38. */
  async limit(app: string, limits: ResourceLimits, options: { processType?: string } = {}): Promise<void> {
    if (options.processType === 'build' && !this.dokku.features.resourceBuildProcess)
      throw new DokkuFeatureUnavailableError('`resource:limit --process-type build`', '0.38.0', this.dokku.features.version.raw)
    await this.dokku.runOk({ argv: resourceLimitArgv(app, limits, options.processType), app })
  }

  /**
   * `resource:report`: only keys that are set appear, e.g. `_default_-limit-memory`, `web-reserve-cpu`
   * (the flags' `.` read as `-`, see report.ts).
   */
  async report(app: string): Promise<Report> {
    return this.dokku.report('resource', checkApp(app))
  }
}
