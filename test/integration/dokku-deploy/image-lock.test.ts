// Image deploys and Dokku's deploy lock (issue 13 M1, Dokku 0.38.27 as simulated): a git:from-image
// that collides with another deploy's lock leaves the app's repository naming the new image
// (dokku v0.38.27 plugins/git/git-from-directory:56-72), so the next git:from-image of it answers
// "No changes detected" while Dokku still records, and runs, the previous image.
import { describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/dokku-deploy/main.js'
import { runAction } from '../../support/action-run.js'
import { imageBuildHold, type ImageBuildHold } from '../../support/sandbox-deploys.js'
import { waitFor } from '../../support/wait.js'
import { readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { sandbox, deployInputs, answering, dokku } from './fixture.ts'


function inputs(app: string, extra: Record<string, string> = {}): Record<string, string> {
  return deployInputs(app, { source: 'image', ...extra })
}


async function deploySource(app: string): Promise<string> {
  const report = JSON.parse((await dokku(`apps:report ${app} --format json`)).stdout) as Record<string, string>
  return `${report['deploy-source']} ${report['deploy-source-metadata']}`
}

/**
 * Leaves `app` as a collision does: Dokku records and runs `running`, its repository names `collided`.
 * `running` is held by `held`, so its rebuild keeps Dokku's deploy lock until this releases it.
 */
async function collide(app: string, held: ImageBuildHold, collided: string): Promise<void> {
  await held.hold()
  const rebuild = dokku(`ps:rebuild ${app}`)
  try {
    await waitFor(async () => (await dokku(`apps:locked ${app}`)).code === 0, { what: `the rebuild of ${app} to hold its deploy lock` })
    const attempt = await dokku(`git:from-image ${app} ${collided}`)
    expect(attempt.code).toBe(1)
    expect(attempt.stdout + attempt.stderr).toContain('currently has a deploy lock in place')
  } finally {
    await held.release()
  }
  expect((await rebuild).code).toBe(0)
  const retry = await dokku(`git:from-image ${app} ${collided}`)
  expect(retry.stdout + retry.stderr).toContain('No changes detected')
}

describe('dokku-deploy image deploys after a lock collision (Dokku 0.38.27)', () => {
  it('Dokku 0.38.27: deploys, health-checks and records the image the repository already names', async () => {
    const app = 'dd-img-collide'
    const held = imageBuildHold(sandbox)
    const old = `registry.example/acme/web-${held.token}@sha256:${'3'.repeat(64)}`
    const next = `registry.example/acme/web@sha256:${'4'.repeat(64)}`
    const health = `${await sandbox.appUrl(app)}/health`
    expect((await runAction(run, inputs(app, { image: old, 'healthcheck-url': health }))).error).toBeUndefined()
    await collide(app, held, next)
    expect(await deploySource(app)).toBe(`docker-image ${old}`)

    const result = await runAction(run, inputs(app, { image: next, 'healthcheck-url': health, 'lock-timeout': '60s' }))
    expect(result.error).toBeUndefined()
    expect(result.outputs).toMatchObject({ 'deployed-image': next, 'previous-image': old, 'rolled-back': 'false' })
    expect(result.summary).toMatch(/healthy \(/)
    expect(await answering(app)).toEqual({ status: 200, deployed: next })
    // Recorded, so the next run has nothing to do.
    expect(await deploySource(app)).toBe(`docker-image ${next}`)
    const again = await runAction(run, inputs(app, { image: next, 'healthcheck-url': health }))
    expect(again.outputs).toMatchObject({ changed: 'false' })
  }, 240_000)

  it('Dokku 0.38.27: rolls back to the previous image when the collided image is unhealthy', async () => {
    const app = 'dd-img-collide-bad'
    const held = imageBuildHold(sandbox)
    const old = `registry.example/acme/web-${held.token}@sha256:${'5'.repeat(64)}`
    const bad = `registry.example/acme/unhealthy@sha256:${'6'.repeat(64)}`
    const health = `${await sandbox.appUrl(app)}/health`
    expect((await runAction(run, inputs(app, { image: old, 'healthcheck-url': health }))).error).toBeUndefined()
    await collide(app, held, bad)

    const result = await runAction(run, inputs(app, { image: bad, 'healthcheck-url': health, 'healthcheck-timeout': '3s' }))
    expect(result.error?.message).toMatch(/did not answer 200/)
    expect(result.outputs).toMatchObject({ 'rolled-back': 'true', 'deployed-image': old })
    expect(await answering(app)).toEqual({ status: 200, deployed: old })
    expect(await deploySource(app)).toBe(`docker-image ${old}`)
  }, 240_000)

  it('Dokku 0.38.27: waits for another deploy of the app to finish, then deploys the image', async () => {
    const app = 'dd-img-wait'
    const held = imageBuildHold(sandbox)
    const old = `registry.example/acme/web-${held.token}@sha256:${'7'.repeat(64)}`
    const next = `registry.example/acme/web@sha256:${'8'.repeat(64)}`
    const health = `${await sandbox.appUrl(app)}/health`
    expect((await runAction(run, inputs(app, { image: old }))).error).toBeUndefined()
    await held.hold()
    const rebuild = dokku(`ps:rebuild ${app}`)
    let deploying: ReturnType<typeof runAction> | undefined
    try {
      await waitFor(async () => (await dokku(`apps:locked ${app}`)).code === 0, { what: `the rebuild of ${app} to hold its deploy lock` })
      const seen = readArgvLog(sandbox.root).length
      deploying = runAction(run, inputs(app, { image: next, 'healthcheck-url': health, 'lock-timeout': '60s' }))
      // The run polls apps:locked while the app is locked: its second ask means the first found the lock,
      // and only then may the rebuild end.
      await waitFor(async () => readArgvLog(sandbox.root).slice(seen).filter((r) => r.argv.join(' ') === `apps:locked ${app}`).length >= 2, {
        what: `the deploy to find ${app} locked`
      })
    } finally {
      await held.release()
    }
    const result = await (deploying as ReturnType<typeof runAction>)
    expect((await rebuild).code).toBe(0)
    expect(result.error).toBeUndefined()
    expect(result.log).toContain(`${app} is locked by another deploy; waiting up to 60 s for it to finish.`)
    expect(await answering(app)).toEqual({ status: 200, deployed: next })
    expect(await deploySource(app)).toBe(`docker-image ${next}`)
  }, 240_000)
})
