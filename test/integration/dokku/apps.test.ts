// DokkuClient against the sandbox host: apps:*, ps:*, enter and builds:cancel on apps deployed
// with a real git push, and the errors the client raises for what Dokku refuses.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppNotFoundError, DokkuArgumentError, DokkuCommandError, type DokkuClient } from '../../../src/core/dokku/index.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.ts'
import { connect, lastBuild, raw, rejection, unique } from './helpers.ts'
import { buildGate } from '../../support/sandbox-deploys.ts'

const exec = promisify(execFile)
const sandbox = sharedSandbox()
let dokku: DokkuClient
const repos: TestRepo[] = []

beforeAll(async () => {
  ;({ dokku } = await connect(sandbox))
})
afterAll(async () => {
  await Promise.all(repos.map((r) => r.cleanup()))
})

async function repo(): Promise<TestRepo> {
  const made = await makeTestRepo()
  repos.push(made)
  return made
}

/** A real `git push` of `ref` to the app's deploy branch `main`; resolves with git's exit code and stderr. */
async function push(checkout: TestRepo, app: string, ref = 'HEAD'): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec('git', ['-C', checkout.dir, 'push', sandbox.remoteUrl(app), `${ref}:refs/heads/main`], { env: sandbox.gitEnv(), timeout: 60_000 })
    return { code: 0, stderr }
  } catch (error) {
    const e = error as { code?: number; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stderr: e.stderr ?? '' }
  }
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await condition()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe.concurrent('apps:* on the sandbox host', () => {
  it('creates, lists, reports, locks and destroys an app, with Dokku’s own outcomes for each repeat', async () => {
    const app = unique('apps')
    expect(await dokku.apps.exists(app)).toBe(false)
    expect(await dokku.apps.create(app)).toEqual({ changed: true })
    expect(await dokku.apps.exists(app)).toBe(true)
    // Dokku's "Name is already taken" (exit 1) is an outcome, not an error.
    expect(await dokku.apps.create(app)).toEqual({ changed: false, reason: 'exists' })
    expect(await dokku.apps.ensure(app)).toEqual({ changed: false, reason: 'up-to-date' })
    expect(await dokku.apps.list()).toContain(app)

    const report = await dokku.apps.report(app)
    expect(report).toMatchObject({ deploySource: '', deploySourceMetadata: '', dir: `${sandbox.root}/home/${app}`, locked: false })
    expect(report.createdAt).toBeGreaterThan(Date.now() / 1000 - 600)

    // lock / locked / unlock, and unlock without a lock ("Unable to remove deploy lock", exit 1).
    expect(await dokku.apps.locked(app)).toBe(false)
    expect(await dokku.apps.unlock(app)).toEqual({ changed: false, reason: 'absent' })
    await dokku.apps.lock(app)
    await dokku.apps.lock(app) // idempotent
    expect(await dokku.apps.locked(app)).toBe(true)
    expect((await dokku.apps.report(app)).locked).toBe(true)
    expect(await dokku.apps.unlock(app)).toEqual({ changed: true })
    expect(await dokku.apps.locked(app)).toBe(false)
    expect(await dokku.apps.unlock(app)).toEqual({ changed: false, reason: 'absent' })

    await dokku.apps.destroy(app)
    expect(await dokku.apps.exists(app)).toBe(false)
    expect(await dokku.apps.list()).not.toContain(app)
    const again = await rejection(dokku.apps.destroy(app))
    expect(again).toBeInstanceOf(AppNotFoundError)
    expect(await dokku.apps.ensure(app)).toEqual({ changed: true })
    await dokku.apps.destroy(app)
  })

  it('ensure creates a missing app once', async () => {
    const app = unique('ensure')
    expect(await dokku.apps.ensure(app)).toEqual({ changed: true })
    expect(await dokku.apps.ensure(app)).toEqual({ changed: false, reason: 'up-to-date' })
    await dokku.apps.destroy(app)
  })

  it('turns exit code 20 into AppNotFoundError carrying the command, the exit code and Dokku’s message', async () => {
    const app = unique('missing')
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => dokku.apps.report(app), `dokku apps:report ${app} --format json`],
      [() => dokku.apps.lock(app), `dokku apps:lock ${app}`],
      [() => dokku.apps.locked(app), `dokku apps:locked ${app}`],
      [() => dokku.apps.unlock(app), `dokku apps:unlock ${app}`],
      [() => dokku.config.export(app), `dokku config:export --format json ${app}`],
      [() => dokku.ps.report(app), `dokku ps:report ${app} --format json`],
      [() => dokku.ps.restart(app), `dokku ps:restart ${app}`],
      [() => dokku.ps.rebuild(app), `dokku ps:rebuild ${app}`],
      [() => dokku.git.fromImage(app, 'example/web:1'), `dokku git:from-image ${app} example/web:1`],
      [() => dokku.domains.report(app), `dokku domains:report ${app} --format json`],
      [() => dokku.checks.disable(app), `dokku checks:disable ${app}`],
      [() => dokku.apps.clone(app, unique('clone')), `dokku apps:clone ${app}`]
    ]
    for (const [call, command] of cases) {
      const error = await rejection(call())
      expect(error, command).toBeInstanceOf(AppNotFoundError)
      expect((error as AppNotFoundError).app).toBe(app)
      expect((error as AppNotFoundError).exitCode, command).toBe(20)
      expect(error.message, command).toContain(`\`${command}`)
      expect(error.message, command).toContain('(exit code 20)')
      expect(error.message, command).toContain(`App ${app} does not exist`)
    }
  })

  it('raises other failures as DokkuCommandError with the command, exit code and stderr tail', async () => {
    const app = unique('errors')
    await dokku.apps.create(app)
    const error = await rejection(dokku.ports.set(app, ['http:80:5000', 'http:80:5001']))
    expect(error).toBeInstanceOf(DokkuCommandError)
    expect(error).not.toBeInstanceOf(AppNotFoundError)
    expect((error as DokkuCommandError).exitCode).toBe(1)
    expect(error.message).toBe(
      `\`dokku ports:set ${app} http:80:5000 http:80:5001\` exited with code 1:\n !     Error validating port mappings: The same scheme:host-port is being reused: http:80`
    )
    // Arguments the client refuses never leave the runner.
    await expect(dokku.apps.create('Not_Valid')).rejects.toBeInstanceOf(DokkuArgumentError)
    await dokku.apps.destroy(app)
  })
})

describe('a deployed app: report, ps, run, logs and builds', () => {
  let app: string
  let checkout: TestRepo
  let sha: string

  beforeAll(async () => {
    app = unique('deployed')
    checkout = await repo()
    sha = await checkout.commit({ 'index.txt': 'one', Procfile: 'web: serve\nworker: work\n' })
    const pushed = await push(checkout, app)
    expect(pushed.code, pushed.stderr).toBe(0)
  })

  afterAll(async () => {
    for (const name of [app, `${app}-c`]) if (await dokku.apps.exists(name)) await dokku.apps.destroy(name)
  })

  it('reports what a git push deployed', async () => {
    expect(await dokku.apps.report(app)).toMatchObject({ deploySource: 'git-push', deploySourceMetadata: sha, locked: false })
    const ps = await dokku.ps.report(app)
    expect(ps).toMatchObject({ deployed: true, running: 'true' })
    expect(ps.processes).toBeGreaterThanOrEqual(1)
    expect(ps.raw['computed-restart-policy']).toBe('on-failure:10')
    expect(ps.raw['status-web-1']).toMatch(/^running \(CID: \S+\)$/)
    // The bare repository's HEAD names master while the pushed deploy branch is main, so git:report's
    // sha is empty for a push app (docs/dokku-contract.md#deployed-state); the deploy-source metadata is what names the commit.
    expect(await dokku.git.report(app)).toMatchObject({ sha: '', 'deploy-branch': 'main', 'computed-deploy-branch': 'main' })
  })

  it('restarts, rebuilds and scales, streaming the deploy output', async () => {
    const lines: string[] = []
    expect(await dokku.ps.restart(app, { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(lines).toContain('=====> Application deployed:')
    lines.length = 0
    expect(await dokku.ps.rebuild(app, { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(lines).toContain(`-----> Building ${app} from herokuish`)
    expect((await lastBuild(sandbox, app)).source).toBe('ps:rebuild')

    expect(await dokku.ps.getScale(app)).toEqual({ web: 1, worker: 0 })
    await dokku.ps.scale(app, { worker: 2 }, { skipDeploy: true })
    expect(await dokku.ps.getScale(app)).toEqual({ web: 1, worker: 2 })
    await dokku.ps.scale(app, { worker: 1 })
    expect(await dokku.ps.getScale(app)).toEqual({ web: 1, worker: 1 })
    expect((await lastBuild(sandbox, app)).source).toBe('deploy')
    await expect(dokku.ps.scale(app, { nope: 1 })).rejects.toThrow(/nope is not a valid process name to scale up/)

    await dokku.ps.set(app, 'restart-policy', 'unless-stopped')
    expect((await dokku.ps.report(app)).raw['computed-restart-policy']).toBe('unless-stopped')
    await dokku.ps.set(app, 'restart-policy')
    expect((await dokku.ps.report(app)).raw['computed-restart-policy']).toBe('on-failure:10')
  })

  it('stops the app', async () => {
    expect(await dokku.ps.stop(app)).toEqual({ changed: true })
    expect((await dokku.ps.report(app)).running).toBe('false')
    // Started again for the tests that follow (the actions never start an app with ps:start).
    expect((await raw(sandbox, `ps:start ${app}`)).code).toBe(0)
    expect((await dokku.ps.report(app)).running).toBe('true')
  })

  it('passes the container command’s exit code through `enter`', async () => {
    // 20 is also Dokku's "app does not exist": from a command that ran, it is just the command's code.
    expect((await dokku.enter(app, { processType: 'web' }, ['exit', '20'])).exitCode).toBe(20)
    expect(await dokku.enter(app, { processType: 'web', index: 1 }, ['printenv', 'DYNO'])).toMatchObject({ exitCode: 0 })
  })

  it('clones with --skip-deploy --ignore-existing, which changes nothing once the target exists', async () => {
    const target = `${app}-c`
    expect(await dokku.apps.clone(app, target, { skipDeploy: true, ignoreExisting: true })).toEqual({ changed: true })
    expect(await dokku.apps.exists(target)).toBe(true)
    // The clone carries the source's deploy source (docs/dokku-contract.md#apps-clone) and its git history.
    expect(await dokku.apps.report(target)).toMatchObject({ deploySource: 'git-push', deploySourceMetadata: sha })
    expect(await dokku.apps.clone(app, target, { skipDeploy: true, ignoreExisting: true })).toEqual({ changed: false, reason: 'exists' })
    expect(await dokku.apps.clone(app, target, { skipDeploy: true })).toEqual({ changed: false, reason: 'exists' })
    // The clone was never deployed: a rebuild deploys it from the copied repository.
    expect(await dokku.ps.rebuild(target)).toEqual({ changed: true })
    expect((await dokku.ps.report(target)).running).toBe('true')
  })

  it('cancels a running build, and reports nothing to cancel when none runs', async () => {
    expect(await lastBuild(sandbox, app)).toMatchObject({ status: 'succeeded', exitCode: 0 })
    expect(await dokku.builds.cancel(app)).toEqual({ changed: false, reason: 'absent' })

    // A build that never ends on its own (its gate is opened only after the cancel), so there is always one to cancel.
    const gate = buildGate(sandbox, app)
    await checkout.commit(gate.files, 'slow build')
    const pushing = push(checkout, app)
    try {
      await waitFor('the slow build to hold the lock', async () => (await raw(sandbox, `builds:output ${app} current`)).stdout.includes('Building'))
      expect(await dokku.builds.cancel(app)).toEqual({ changed: true })
    } finally {
      await gate.open()
    }
    expect((await pushing).code).not.toBe(0)
    expect((await lastBuild(sandbox, app)).status).toBe('canceled')
    expect(await dokku.apps.locked(app)).toBe(false)
  })
})

describe.concurrent('apps without a deploy', () => {
  it('reports the not-deployed and no-source outcomes of ps:*', async () => {
    const app = unique('fresh')
    await dokku.apps.create(app)
    expect(await lastBuild(sandbox, app)).toMatchObject({ id: '', status: '', exitCode: undefined })
    expect(await dokku.ps.restart(app)).toEqual({ changed: false, reason: 'not-deployed' })
    expect(await dokku.ps.stop(app)).toEqual({ changed: false, reason: 'not-deployed' })
    // apps:create initialises the app's repository (git post-create): rebuilding it fails with Dokku's
    // warning (exit 1, on stdout inside the build capture) rather than the silent no-repository case.
    const rebuild = await rejection(dokku.ps.rebuild(app))
    expect(rebuild).toBeInstanceOf(DokkuCommandError)
    expect(rebuild.message).toMatch(/^`dokku ps:rebuild \S+` exited with code 1:\n.*-----> WARNING: Cannot build from 'master' as there are no commits stored at that branch\.$/)
    expect(await dokku.ps.report(app)).toMatchObject({ deployed: false, running: 'false', processes: 0 })
    expect(await lastBuild(sandbox, app)).toMatchObject({ kind: 'build', source: 'ps:rebuild', status: 'failed', exitCode: 1 })
    await dokku.apps.destroy(app)
  })
})
