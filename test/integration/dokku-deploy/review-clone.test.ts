// Review apps and what apps:clone copies (issue 13 U1, Dokku 0.38.27 as simulated): the clone gets
// the base app's data directory, .deploy.lock included (dokku v0.38.27 plugins/common/data.go
// CloneAppData), and its deploy-source properties (plugins/apps/triggers.go PropertyClone).
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/dokku-deploy/main.js'
import { runAction } from '../../support/action-run.js'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { deployInputs, answering, dokku } from './fixture.ts'

const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))


const inputs = deployInputs

describe('dokku-deploy review apps cloned from a base app (Dokku 0.38.27)', () => {
  it('Dokku 0.38.27: deploys a review app whose PR head is the base app’s commit, cloned while the base app holds a deploy lock', async () => {
    const base = 'dd-clone-base'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const sha = await checkout.commit({ 'index.txt': 'main' })
    expect((await runAction(run, inputs(base, { ref: sha, path: checkout.dir }))).error).toBeUndefined()
    // The base app holds a lock file while the review app is cloned (a deploy or a marker).
    expect((await dokku(`apps:lock ${base}`)).code).toBe(0)
    try {
      const context = { eventName: 'pull_request', repository: { owner: 'acme', repo: 'uro' }, pullRequest: { number: 9, headSha: sha, headRef: 'same' }, workspace: checkout.dir }
      const created = await runAction(run, inputs(base, { 'review-app': 'create', 'lock-timeout': '10s' }), context)
      expect(created.error).toBeUndefined()
      expect(created.log).toContain(`${base}-pr-9 inherited ${base}'s deploy lock file through apps:clone; removing it.`)
      expect(created.outputs).toMatchObject({ app: `${base}-pr-9`, 'deployed-sha': sha, changed: 'true' })
      expect(await answering(`${base}-pr-9`)).toEqual({ status: 200, deployed: sha })
      expect((await dokku(`apps:locked ${base}-pr-9`)).code).toBe(1)
      // The base app's own lock file is left alone.
      expect((await dokku(`apps:locked ${base}`)).code).toBe(0)
      // Now it runs its own deploy: a second run has nothing to do.
      const again = await runAction(run, inputs(base, { 'review-app': 'create' }), context)
      expect(again.error).toBeUndefined()
      expect(again.outputs).toMatchObject({ changed: 'false' })
    } finally {
      await dokku(`apps:unlock ${base}`)
      await dokku(`apps:destroy ${base}-pr-9 --force`)
    }
  }, 240_000)
})
