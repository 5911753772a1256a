// The "20 apps in one run" scenario of issue 17, written once for whatever converges apps: today a
// dokku-deploy run per app against the shared sandbox (test/integration/reliability/
// concurrency-twenty-apps.test.ts); the root stack action, once it exists, converges the same apps
// from one stack file over one connection by passing its own `converge`.
//
// The scenario: N apps, each with its own config value and the same commit, are converged; every
// app must then answer with that commit and hold its config; converging the same apps again must
// change nothing (a converged host plans nothing). The counts go to RELIABILITY.md.
import type { Sandbox } from '../sandbox/harness/sandbox.ts'
import { deployedNow } from './sandbox-deploys.js'

export interface AppToConverge {
  /** The Dokku app name. */
  name: string
  /** Config the app must hold afterwards. */
  config: Record<string, string>
  /** The commit it must run (of the checkout in `workdir`). */
  sha: string
}

export interface ConvergeRequest {
  apps: readonly AppToConverge[]
  /** The git checkout the commits are in. */
  workdir: string
}

/** What a converge reports, per app: whether it changed anything, or why it failed. */
export type ConvergeOutcome = ReadonlyMap<string, { changed: boolean } | { failure: string }>

export type Converge = (request: ConvergeRequest) => Promise<ConvergeOutcome>

export interface ManyAppsResult {
  /** Apps converged (both passes count once). */
  tried: number
  /** Apps that converged, answered with their commit and config, and did not change on the second pass. */
  held: number
  /** What went wrong, per app, for the failure message. */
  problems: string[]
  details: Record<string, number>
}

/** Runs the scenario: converge `count` apps named `<prefix>-<i>`, check each, converge again. */
export async function convergeManyApps(sandbox: Sandbox, converge: Converge, options: { prefix: string; count: number; sha: string; workdir: string }): Promise<ManyAppsResult> {
  const apps: AppToConverge[] = Array.from({ length: options.count }, (_, i) => {
    const name = `${options.prefix}-${String(i + 1).padStart(2, '0')}`
    return { name, config: { APP_INDEX: String(i + 1), APP_ROLE: `role of ${name}` }, sha: options.sha }
  })
  const request = { apps, workdir: options.workdir }
  const first = await converge(request)
  const problems = new Map<string, string>()
  const problem = (app: string, what: string) => problems.set(app, problems.get(app) ? `${problems.get(app)}; ${what}` : what)
  await Promise.all(
    apps.map(async (app) => {
      const outcome = first.get(app.name)
      if (!outcome) return problem(app.name, 'the converge reported nothing for it')
      if ('failure' in outcome) return problem(app.name, `the converge failed: ${outcome.failure}`)
      const running = await deployedNow(sandbox, app.name).catch((error: unknown) => `no answer (${String(error)})`)
      if (running !== app.sha) problem(app.name, `it runs ${running}, not ${app.sha}`)
      const exported = await sandbox.ssh('dokku', `config:export --format json ${app.name}`)
      const config = exported.code === 0 ? (JSON.parse(exported.stdout) as Record<string, string>) : {}
      for (const [key, value] of Object.entries(app.config)) if (config[key] !== value) problem(app.name, `${key} is ${JSON.stringify(config[key])}, not ${JSON.stringify(value)}`)
    })
  )
  const second = await converge(request)
  for (const app of apps) {
    const outcome = second.get(app.name)
    if (!outcome || 'failure' in outcome) problem(app.name, `the second converge failed: ${outcome && 'failure' in outcome ? outcome.failure : 'no report'}`)
    else if (outcome.changed) problem(app.name, 'the second converge changed it again')
  }
  const firstFailed = [...first.values()].filter((o) => 'failure' in o).length
  return {
    tried: apps.length,
    held: apps.length - problems.size,
    problems: [...problems].map(([app, what]) => `${app}: ${what}`),
    details: { 'failed on the first pass': firstFailed, 'changed on the second pass': [...second.values()].filter((o) => 'changed' in o && o.changed).length }
  }
}
