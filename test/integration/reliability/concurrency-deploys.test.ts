// Two deploys of one app at once (issue 17, "Concurrency and load"): exactly one proceeds, the other
// waits for the deploy lock (bounded by its lock-timeout), then deploys over what the first left;
// both say so in their logs. The first one's build runs until the test has seen the second wait, so
// the overlap is certain rather than timed.
import { formatDuration } from '../../../src/core/format.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { recordReliability } from '../../support/reliability.js'
import { buildGate, deployedNow, deployLockRef, startDeploy } from '../../support/sandbox-deploys.js'
import { waitFor } from '../../support/wait.js'

const sandbox = sharedSandbox()
const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))

const WAITING = (app: string) => `${app} is locked by another deploy; waiting up to ${formatDuration(120_000)} for it to finish.`

describe('two deploys of one app at once', () => {
  it('exactly one proceeds; the other waits, then deploys over it; both logged; the lock is gone after', async () => {
    const app = 'rl-two-deploys'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const first = await checkout.commit({ 'index.txt': 'first' })
    expect((await startDeploy(sandbox, app, first, checkout.dir).result).failure).toBeUndefined()

    const gate = buildGate(sandbox, app)
    const shaA = await checkout.commit({ ...gate.files, 'index.txt': 'a' }, 'a')
    const shaB = await checkout.commit({ ...gate.files, 'index.txt': 'b' }, 'b')
    // Both runs plan, then meet here, so that both ask for the lock at the same moment.
    let arrived = 0
    let release: () => void = () => undefined
    const together = new Promise<void>((resolve) => (release = resolve))
    const barrier = async () => {
      if (++arrived === 2) release()
      await together
    }
    const a = startDeploy(sandbox, app, shaA, checkout.dir, { 'lock-timeout': '120s' }, { beforeApply: barrier })
    const b = startDeploy(sandbox, app, shaB, checkout.dir, { 'lock-timeout': '120s' }, { beforeApply: barrier })
    let results
    try {
      // One holds the lock and builds (until the gate opens); the other must be seen waiting meanwhile.
      await waitFor(() => [a, b].some((r) => r.logger.text().includes(WAITING(app))), { what: 'one of the two deploys to wait for the lock' })
    } finally {
      await gate.open()
      results = await Promise.all([a.result, b.result])
    }
    const waited = [a, b].filter((r) => r.logger.text().includes(WAITING(app)))
    const [winner, waiter] = waited[0] === a ? [b, a] : [a, b]
    const [winnerSha, waiterSha] = waited[0] === a ? [shaB, shaA] : [shaA, shaB]
    const held = results.filter((r) => r.failure === undefined).length
    recordReliability('concurrency', 'two deploys of one app at once: both deploy, one after the other', { tried: 2, held: waited.length === 1 ? held : 0 })

    expect(results.map((r) => r.failure?.message)).toEqual([undefined, undefined])
    expect(waited).toHaveLength(1)
    // Both logged their deploy; the waiter re-planned against what the winner left and replaced it.
    expect(winner.logger.text()).toContain(`Deploying commit ${winnerSha.slice(0, 12)} to ${app}`)
    expect(waiter.logger.text()).toContain(`Deploying commit ${waiterSha.slice(0, 12)} to ${app}`)
    expect(winner.logger.text()).not.toContain(WAITING(app))
    expect((await (waiter === a ? a.result : b.result)).plan.previous).toEqual({ kind: 'git', sha: winnerSha })
    expect(await deployedNow(sandbox, app)).toBe(waiterSha)
    // Neither ran into the other's build (Dokku's own lock would have said so), and no lock is left.
    for (const r of [a, b]) expect(r.logger.text()).not.toContain("holds Dokku's build lock")
    expect(await deployLockRef(sandbox, app)).toBe('')
    expect((await sandbox.ssh('dokku', `apps:locked ${app}`)).code).toBe(1)
  }, 300_000)
})
