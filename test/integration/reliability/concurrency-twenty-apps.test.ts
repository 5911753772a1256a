// 20 apps converged in one run (issue 17, "Concurrency and load"), with the actions there are today:
// one dokku-deploy per app (its config and the commit), five at a time against the one shared
// sandbox host, then all twenty again, which must change nothing. The scenario itself is
// test/support/many-apps.ts; the root stack action plugs its own converge into it.
import { afterAll, describe, expect, it } from 'vitest'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { convergeManyApps, type Converge } from '../../support/many-apps.js'
import { recordReliability } from '../../support/reliability.js'
import { startDeploy } from '../../support/sandbox-deploys.js'

const sandbox = sharedSandbox()
const APPS = 20
const AT_ONCE = 5
const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))

/** One dokku-deploy run per app, AT_ONCE at a time. */
const deployEach: Converge = async ({ apps, workdir }) => {
  const outcome = new Map<string, { changed: boolean } | { failure: string }>()
  const queue = [...apps]
  const worker = async (): Promise<void> => {
    for (let app = queue.shift(); app; app = queue.shift()) {
      const config = Object.entries(app.config).map(([k, v]) => `${k}=${v}`).join('\n')
      const result = await startDeploy(sandbox, app.name, app.sha, workdir, { config }).result.catch((error: unknown) => ({ failure: error as Error, changed: false }))
      outcome.set(app.name, result.failure ? { failure: result.failure.message } : { changed: result.changed })
    }
  }
  await Promise.all(Array.from({ length: AT_ONCE }, worker))
  return outcome
}

describe(`${APPS} apps in one run`, () => {
  it(`converges ${APPS} apps (dokku-deploy, ${AT_ONCE} at a time), each answering with its commit and config, and a second pass changes nothing`, async () => {
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const sha = await checkout.commit({ 'index.txt': 'twenty apps' })
    const result = await convergeManyApps(sandbox, deployEach, { prefix: 'rl-many', count: APPS, sha, workdir: checkout.dir })
    recordReliability('concurrency', `${APPS} apps converged in one run (dokku-deploy, ${AT_ONCE} at a time), then again with no change`, { tried: result.tried, held: result.held, details: result.details })
    expect(result.problems).toEqual([])
    expect(result.held).toBe(APPS)
  }, 600_000)
})
