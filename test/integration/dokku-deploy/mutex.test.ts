// The deploy lock is a mutex (issue 13 item 9, Dokku 0.38.27 as simulated): two dokku-deploy runs
// that reach the lock at the same moment cannot both take it. The lock is a ref in the app's
// repository created by a compare-and-swap git push (src/core/git/deploy-mutex.ts): the sandbox runs
// the real git receive-pack behind the real sshd, with Dokku's pre-receive hook simulated.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { deploy } from '../../../src/actions/dokku-deploy/deploy.js'
import { readDeployInputs } from '../../../src/actions/dokku-deploy/inputs.js'
import { DEPLOY_MUTEX_REF } from '../../../src/core/git/deploy-mutex.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { runAction } from '../../support/action-run.js'
import { run } from '../../../src/actions/dokku-deploy/main.js'
import { inputsFrom } from '../../support/inputs.js'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { sandbox, deployInputs } from './fixture.ts'

const exec = promisify(execFile)
const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))

const inputs = deployInputs

async function answering(app: string): Promise<string | null> {
  const response = await fetch(`${await sandbox.appUrl(app)}/`)
  await response.body?.cancel()
  return response.headers.get('x-sandbox-deployed')
}

/** Puts a lock ref on the app's repository by hand, as a run that was killed would have left it. */
async function leaveLock(app: string, record: Record<string, string>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mutex-test-'))
  try {
    const git = (...args: string[]) => exec('git', ['-C', dir, ...args], { env: { ...sandbox.gitEnv(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    await git('init', '-q', '--bare')
    const tree = (await git('hash-object', '-t', 'tree', '-w', '/dev/null')).stdout.trim()
    const sha = (await git('commit-tree', tree, '-m', JSON.stringify(record))).stdout.trim()
    await git('push', '-q', '--force', sandbox.remoteUrl(app), `${sha}:${DEPLOY_MUTEX_REF}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function lockRef(app: string): Promise<string> {
  return (await exec('git', ['ls-remote', sandbox.remoteUrl(app), DEPLOY_MUTEX_REF], { env: sandbox.gitEnv() })).stdout.trim()
}

describe('the dokku-deploy lock is a mutex (Dokku 0.38.27)', () => {
  it('Dokku 0.38.27: of two runs that take the lock at the same moment, exactly one proceeds while the other waits, then proceeds', async () => {
    const app = 'dd-mutex'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const first = await checkout.commit({ 'index.txt': 'first' })
    expect((await runAction(run, inputs(app, { ref: first, path: checkout.dir }))).error).toBeUndefined()
    const slowA = await checkout.commit({ '.sandbox/build-seconds': '4', 'index.txt': 'a' }, 'a')
    const slowB = await checkout.commit({ '.sandbox/build-seconds': '4', 'index.txt': 'b' }, 'b')

    // Both runs plan, then meet here, so that both ask for the lock at the same moment.
    let arrived = 0
    let release: () => void = () => undefined
    const together = new Promise<void>((resolve) => (release = resolve))
    const barrier = async () => {
      if (++arrived === 2) release()
      await together
    }
    const start = (ref: string) => {
      const config = readDeployInputs(inputsFrom(inputs(app, { ref, path: checkout.dir, 'lock-timeout': '120s' })), { eventName: 'push', sha: ref, pullRequest: undefined, workspace: checkout.dir })
      const logger = new RecordingLogger()
      return { logger, result: deploy(config, logger, { beforeApply: barrier }) }
    }
    const a = start(slowA)
    const b = start(slowB)
    const [resultA, resultB] = await Promise.all([a.result, b.result])
    expect(resultA.failure).toBeUndefined()
    expect(resultB.failure).toBeUndefined()

    const waited = [a, b].filter((r) => r.logger.text().includes(`${app} is locked by another deploy; waiting up to 2 min for it to finish.`))
    expect(waited).toHaveLength(1)
    // The one that waited re-planned against the host the other left: it replaced the other's commit.
    const [winner, loser] = waited[0] === a ? [resultB, resultA] : [resultA, resultB]
    const winnerSha = winner === resultA ? slowA : slowB
    const loserSha = winner === resultA ? slowB : slowA
    expect(loser.plan.previous).toEqual({ kind: 'git', sha: winnerSha })
    expect(await answering(app)).toBe(loserSha)
    // Neither run's deploy ran into the other's build (Dokku's own lock would have said so).
    for (const r of [a, b]) expect(r.logger.text()).not.toContain("holds Dokku's build lock")
    expect(await lockRef(app)).toBe('')
  }, 300_000)

  it('Dokku 0.38.27: takes over a lock whose holder was killed once its recorded expiry has passed, and waits for a live one', async () => {
    const app = 'dd-mutex-stale'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const one = await checkout.commit({ 'index.txt': 'one' })
    expect((await runAction(run, inputs(app, { ref: one, path: checkout.dir }))).error).toBeUndefined()

    await leaveLock(app, { app, holder: 'run 41 killed', acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: new Date(Date.now() + 3_600_000).toISOString() })
    const two = await checkout.commit({ 'index.txt': 'two' })
    const blocked = await runAction(run, inputs(app, { ref: two, path: checkout.dir, 'lock-timeout': '5s' }))
    expect(blocked.error?.message).toMatch(/locked by another deploy for longer than lock-timeout \(5 s\): held by run 41 killed since 2026-01-01T00:00:00.000Z/)
    expect(await answering(app)).toBe(one)

    await leaveLock(app, { app, holder: 'run 42 killed', acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:05:00.000Z' })
    const taken = await runAction(run, inputs(app, { ref: two, path: checkout.dir }))
    expect(taken.error).toBeUndefined()
    expect(taken.log).toContain('Took over the deploy lock of run 42 killed, which expired at 2026-01-01T00:05:00.000Z')
    expect(await answering(app)).toBe(two)
    expect(await lockRef(app)).toBe('')
  }, 300_000)
})
