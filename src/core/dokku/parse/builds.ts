import type { Report } from './report.js'

/** The most recent build record of an app, from `builds:report <app>` (docs/dokku-contract.md#deployed-state, #builds; 0.38+). */
export interface BuildSummary {
  /** Empty when the app has no build records. */
  readonly id: string
  /** `build` (git paths, ps:rebuild) or `deploy` (ps:restart, config-redeploy, …). */
  readonly kind: string
  /** `running`, `succeeded`, `failed`, `canceled`, or `abandoned` (a dead PID, e.g. after a lock collision). */
  readonly status: string
  /** `git-hook`, `ps:rebuild`, `git:from-image`, `config-redeploy`, … */
  readonly source: string
  readonly exitCode: number | undefined
  /** RFC 3339 (the docs' "UNIX timestamp" is wrong, docs/dokku-contract.md#deployed-state). */
  readonly startedAt: string
  readonly finishedAt: string
}

export function parseBuildsReport(report: Report): BuildSummary {
  const exitCode = report['build-exit-code'] ?? ''
  return {
    id: report['build-id'] ?? '',
    kind: report['build-kind'] ?? '',
    status: report['build-status'] ?? '',
    source: report['build-source'] ?? '',
    exitCode: /^-?\d+$/.test(exitCode) ? Number(exitCode) : undefined,
    startedAt: report['build-started-at'] ?? '',
    finishedAt: report['build-finished-at'] ?? ''
  }
}
