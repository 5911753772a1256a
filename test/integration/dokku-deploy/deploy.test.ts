import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/dokku-deploy/main.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { runAction } from '../../support/action-run.js'
import { runBundle } from '../../support/bundle-run.js'
import { FakeGitHub } from '../../support/fake-github.js'
import { repoRoot } from '../../support/actions.js'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { appBuildRunning } from '../../support/sandbox-deploys.js'
import { waitFor } from '../../support/wait.js'
import { randomSecret } from '../../sandbox/workflow-runner.ts'
import { sandbox, deployInputs, answering, dokku } from './fixture.ts'

const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))

async function repo(options?: Parameters<typeof makeTestRepo>[0]): Promise<TestRepo> {
  const made = await makeTestRepo(options)
  repos.push(made)
  return made
}

const inputs = deployInputs

async function healthUrl(app: string): Promise<string> {
  return `${await sandbox.appUrl(app)}/health`
}

async function containerPid(app: string): Promise<number> {
  return (JSON.parse(await readFile(join(sandbox.root, 'state', 'apps', app, 'container.json'), 'utf8')) as { pid: number }).pid
}

describe('dokku-deploy against the sandbox host', () => {
  it('deploys a commit, then treats a redeploy of it as a no-op that restarts nothing', async () => {
    const app = 'dd-basic'
    const checkout = await repo()
    const sha = await checkout.commit({ 'index.txt': 'one' })
    const first = await runAction(run, inputs(app, { ref: sha, path: checkout.dir, 'healthcheck-url': await healthUrl(app) }))
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ app, changed: 'true', 'rolled-back': 'false', 'deployed-sha': sha })
    expect(await answering(app)).toEqual({ status: 200, deployed: sha })
    expect(first.summary).toContain('dokku-deploy: dd-basic')
    expect(first.summary).toMatch(/healthy \(1 attempt/)
    // What changed, in words; the URL column is Dokku's URL for the app, as the output.
    expect(first.summary).toContain(`What changed:\n- created the app dd-basic\n- set dd-basic's deploy branch to main\n- deployed commit ${sha.slice(0, 12)}, dd-basic's first deploy\n- checked that ${await healthUrl(app)} answers 200: it did`)
    expect(first.summary).not.toMatch(/push:|nothing is deployed yet/)
    expect(first.outputs.url).toBe('http://dd-basic.sandbox.test')
    expect(first.summary).toContain('| http://dd-basic.sandbox.test |')

    const pid = await containerPid(app)
    const again = await runAction(run, inputs(app, { ref: sha, path: checkout.dir, 'healthcheck-url': await healthUrl(app) }))
    expect(again.error).toBeUndefined()
    expect(again.outputs).toMatchObject({ changed: 'false', 'deployed-sha': sha, 'previous-sha': sha })
    expect(again.log).toContain('dd-basic: nothing to do; the host already runs commit')
    expect(again.summary).toContain(`What changed:\nnothing: the host already runs commit ${sha.slice(0, 12)} with this config`)
    expect(again.summary).toContain('| http://dd-basic.sandbox.test |')
    expect(await containerPid(app)).toBe(pid)
  })

  it('fails the job when the build fails, and the previous release keeps answering', async () => {
    const app = 'dd-buildfail'
    const checkout = await repo()
    const good = await checkout.commit({ 'index.txt': 'good' })
    expect((await runAction(run, inputs(app, { ref: good, path: checkout.dir }))).error).toBeUndefined()
    const bad = await checkout.commit({ '.sandbox/fail-build': '' })
    const result = await runAction(run, inputs(app, { ref: bad, path: checkout.dir }))
    expect(result.error?.message).toMatch(/the build failed on the host and the push was rejected; the previous release keeps running/)
    expect(result.outputs).toMatchObject({ 'deployed-sha': good, 'rolled-back': 'false', 'previous-sha': good })
    expect(await answering(app)).toEqual({ status: 200, deployed: good })
    expect((await dokku(`apps:locked ${app}`)).code).toBe(1)
  })

  it('rolls back to the previous commit when the health check fails, proven by the app answering', async () => {
    const app = 'dd-rollback'
    const checkout = await repo()
    const good = await checkout.commit({ 'index.txt': 'good' })
    const health = await healthUrl(app)
    expect((await runAction(run, inputs(app, { ref: good, path: checkout.dir, 'healthcheck-url': health, config: 'MODE=stable' }))).error).toBeUndefined()
    const broken = await checkout.commit({ '.sandbox/unhealthy': '' })
    const result = await runAction(run, inputs(app, { ref: broken, path: checkout.dir, 'healthcheck-url': health, 'healthcheck-timeout': '3s', config: 'MODE=experimental' }))
    expect(result.error?.message).toMatch(/did not answer 200 within 3000 ms/)
    expect(result.outputs).toMatchObject({ 'rolled-back': 'true', 'deployed-sha': good, 'previous-sha': good, changed: 'true' })
    expect(await answering(app)).toEqual({ status: 200, deployed: good })
    // The config this run changed is put back too.
    expect((await dokku(`config:get ${app} MODE`)).stdout.trim()).toBe('stable')
    expect(result.summary).toContain('failed, rolled back')
    expect((await dokku(`apps:locked ${app}`)).code).toBe(1)
  })

  it('sets config values byte for byte without ever printing them', async () => {
    const app = 'dd-config'
    const checkout = await repo()
    const sha = await checkout.commit({ 'index.txt': 'config' })
    const values: Record<string, string> = {
      SPACES: '  value with  spaces  ',
      QUOTES: `it's "quoted" here`,
      DOLLAR: '$HOME and $(id) and `id`',
      BACKSLASH: 'C:\\path\\to\\thing \\n not a newline',
      MULTILINE: 'line one\nline two\n\nline four',
      UNICODE: 'héllo wörld ✓ 🚀'
    }
    const config = Object.entries(values)
      .map(([k, v]) => (v.includes('\n') ? `${k}<<EOF\n${v}\nEOF` : `${k}=${v}`))
      .join('\n')
    const result = await runAction(run, inputs(app, { ref: sha, path: checkout.dir, config }))
    expect(result.error).toBeUndefined()
    const env = (await (await fetch(`${await sandbox.appUrl(app)}/__sandbox/env`)).json()) as Record<string, string>
    for (const [key, value] of Object.entries(values)) expect(env[key], key).toBe(value)
    const shown = `${result.everything}\n${JSON.stringify(result.outputs)}`
    for (const value of Object.values(values)) for (const part of value.split('\n').filter((p) => p.trim().length >= 6)) expect(shown).not.toContain(part.trim())
    expect(result.log).toContain('set config SPACES, QUOTES, DOLLAR, BACKSLASH, MULTILINE, UNICODE without restarting (values not shown)')
  })

  it('masks the secret config values and only those, over a real bundle run', async () => {
    const app = 'dd-masking'
    const checkout = await repo()
    const sha = await checkout.commit({ 'index.txt': 'masking' })
    const origin = new URL(await healthUrl(app)).origin
    const secrets = { key: randomSecret(), password: randomSecret(), derived: randomSecret(), signer: randomSecret() }
    const config = [
      `APP_URL=http://${app}.sandbox.test`,
      `API_ORIGIN=${origin}`,
      `SECRET_KEY_BASE=${secrets.key}`,
      `JOKEN_SIGNER=${secrets.signer}`,
      `DATABASE_URL=postgres://uro:${secrets.password}@db.internal:5432/uro`,
      `UPSTREAM_ID=${secrets.derived}`
    ].join('\n')
    const dir = await mkdtemp(join(tmpdir(), 'masking-'))
    const summaryFile = join(dir, 'summary')
    await writeFile(summaryFile, '')
    try {
      const result = await runBundle(
        'dokku-deploy',
        inputs(app, { ref: sha, path: checkout.dir, config, 'secret-config-keys': 'UPSTREAM_ID', 'healthcheck-url': `${origin}/health` }),
        { GITHUB_STEP_SUMMARY: summaryFile }
      )
      const summary = await readFile(summaryFile, 'utf8')
      // Everything the step printed, as the runner receives it, minus the mask commands themselves.
      const printed = [...result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')), result.stderr, summary, JSON.stringify(result.outputs)].join('\n')
      expect(result.code, printed).toBe(0)
      for (const secret of Object.values(secrets)) {
        expect(printed).not.toContain(secret)
        expect(result.stdout).toContain(`::add-mask::${secret}`)
      }
      // Public values stay readable: the plan's health check, Dokku's own output, the summary's URL.
      expect(printed).toContain(`check ${origin}/health answers 200`)
      expect(printed).toMatch(new RegExp(`Application deployed:\\s*\\n(.*\\n)*?.*http://${app}\\.sandbox\\.test`))
      expect(summary).toContain(`${origin}/health: healthy`)
      for (const shown of [origin, `http://${app}.sandbox.test`]) expect(result.stdout).not.toContain(`::add-mask::${shown}`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('waits for a deploy that holds the lock, then deploys (two runs of the bundle at once)', async () => {
    const app = 'dd-lock'
    const checkout = await repo()
    // The first run's build lasts until the second is seen waiting for the lock: a build of fixed
    // length could end before the second run (a new node process) reached the lock on a loaded machine.
    const buildGate = join(sandbox.root, 'tmp', `dd-lock-build-ends-${process.pid}`)
    const slow = await checkout.commit({ '.sandbox/build-until': buildGate }, 'slow build')
    const fast = await checkout.commit({ '.sandbox/build-until': null, 'index.txt': 'second' }, 'second')
    const common = { path: checkout.dir, 'lock-timeout': '90s', 'healthcheck-url': await healthUrl(app) }
    const waiting = `${app} is locked by another deploy; waiting up to 90 s for it to finish.`
    const firstRun = runBundle('dokku-deploy', inputs(app, { ...common, ref: slow }), {}, 300_000)
    let second: Awaited<ReturnType<typeof runBundle>>
    try {
      // Start the second run once the first holds the app's lock; let the first build end once the second waits.
      await waitFor(async () => (await dokku(`apps:locked ${app}`)).code === 0, { what: `the first run to lock ${app}` })
      second = await runBundle('dokku-deploy', inputs(app, { ...common, ref: fast }), {}, 300_000, (soFar) => {
        if (soFar.includes(waiting)) void writeFile(buildGate, '')
      })
    } finally {
      await writeFile(buildGate, '')
    }
    const first = await firstRun
    expect(first.code, first.stdout).toBe(0)
    expect(second.code, second.stdout).toBe(0)
    expect(second.stdout).toContain(waiting)
    expect(second.outputs).toMatchObject({ 'deployed-sha': fast, 'previous-sha': slow })
    expect(await answering(app)).toEqual({ status: 200, deployed: fast })
  }, 600_000)

  it('deepens a shallow checkout before pushing', async () => {
    const app = 'dd-shallow'
    const origin = await repo()
    await origin.commit({ 'a.txt': '1' })
    await origin.commit({ 'a.txt': '2' })
    const head = await origin.commit({ 'a.txt': '3' })
    const shallow = await repo({ cloneFrom: origin.dir, depth: 1 })
    expect(await shallow.git('rev-parse', '--is-shallow-repository')).toBe('true')
    const result = await runAction(run, inputs(app, { ref: head, path: shallow.dir }))
    expect(result.error).toBeUndefined()
    expect(result.log).toContain('The checkout is shallow; fetching its full history')
    expect(await answering(app)).toEqual({ status: 200, deployed: head })
  })

  it('refuses a shallow checkout it cannot deepen before touching the host', async () => {
    const app = 'dd-shallow-stuck'
    const origin = await repo()
    await origin.commit({ 'a.txt': '1' })
    const head = await origin.commit({ 'a.txt': '2' })
    const shallow = await repo({ cloneFrom: origin.dir, depth: 1 })
    await rm(origin.dir, { recursive: true, force: true })
    const result = await runAction(run, inputs(app, { ref: head, path: shallow.dir }))
    expect(result.error).toBeInstanceOf(ConfigurationError)
    expect(result.error?.message).toMatch(/The checkout is shallow and could not be deepened .* Set fetch-depth: 0 on actions\/checkout\./s)
    expect((await dokku(`apps:exists ${app}`)).code).toBe(20)
  })

  it('refuses a bad app name before connecting anywhere', async () => {
    let connections = 0
    const server = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const result = await runAction(run, { ...inputs('My_App'), 'ssh-port': String(port) })
    server.close()
    expect(result.error).toBeInstanceOf(ConfigurationError)
    expect(result.error?.message).toBe(
      'Input "app" must be a Dokku app name: lowercase letters, digits, dots and hyphens, starting with a letter or digit; got "My_App". For example "my-app".'
    )
    expect(connections).toBe(0)
  })

  it('prints the plan in dry-run and changes nothing', async () => {
    const app = 'dd-dry'
    const checkout = await repo()
    const sha = await checkout.commit({ 'index.txt': 'dry' })
    const result = await runAction(run, inputs(app, { ref: sha, path: checkout.dir, 'dry-run': 'true', config: 'A=1' }))
    expect(result.error).toBeUndefined()
    expect(result.log).toContain('Plan for dd-dry (dry run: nothing will change)')
    expect(result.log).toContain(`push commit ${sha.slice(0, 12)} to main`)
    expect(result.summary).toContain('dokku-deploy: dd-dry (dry run)')
    expect(result.summary).toContain(`What would change:\n- would create the app dd-dry\n- would set dd-dry's deploy branch to main\n- would set A (values not shown)\n- would deploy commit ${sha.slice(0, 12)}, dd-dry's first deploy`)
    expect((await dokku(`apps:exists ${app}`)).code).toBe(20)
  })

  it('deploys images, treats the running image as a no-op, and rolls back to the previous image', async () => {
    const app = 'dd-image'
    const good = `registry.example/acme/web@sha256:${'1'.repeat(64)}`
    const bad = `registry.example/acme/unhealthy@sha256:${'2'.repeat(64)}`
    const health = await healthUrl(app)
    const first = await runAction(run, inputs(app, { source: 'image', image: good, 'healthcheck-url': health }))
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ 'deployed-image': good, changed: 'true' })
    const again = await runAction(run, inputs(app, { source: 'image', image: good, 'healthcheck-url': health }))
    expect(again.error).toBeUndefined()
    expect(again.outputs).toMatchObject({ changed: 'false', 'deployed-image': good })
    const broken = await runAction(run, inputs(app, { source: 'image', image: bad, 'healthcheck-url': health, 'healthcheck-timeout': '3s' }))
    expect(broken.error?.message).toMatch(/did not answer 200/)
    expect(broken.outputs).toMatchObject({ 'rolled-back': 'true', 'deployed-image': good, 'previous-image': good })
    expect(await answering(app)).toEqual({ status: 200, deployed: good })
  })

  it('creates a review app, records a GitHub Deployment and a sticky comment, then destroys it', async () => {
    const base = 'dd-review'
    const checkout = await repo()
    const mainSha = await checkout.commit({ 'index.txt': 'main' })
    expect((await runAction(run, inputs(base, { ref: mainSha, path: checkout.dir }))).error).toBeUndefined()
    const headSha = await checkout.commit({ 'index.txt': 'feature' })
    const github = new FakeGitHub()
    const apiUrl = await github.start()
    const token = 'ghs_reviewapptoken1234567890'
    const context = { eventName: 'pull_request', repository: { owner: 'acme', repo: 'uro' }, pullRequest: { number: 5, headSha, headRef: 'feature' }, apiUrl, workspace: checkout.dir }
    try {
      const created = await runAction(run, inputs(base, { 'review-app': 'create', 'github-token': token }), context)
      expect(created.error).toBeUndefined()
      expect(created.outputs).toMatchObject({ app: 'dd-review-pr-5', 'deployed-sha': headSha, url: 'http://dd-review-pr-5.sandbox.test' })
      expect(await answering('dd-review-pr-5')).toEqual({ status: 200, deployed: headSha })
      expect(await answering(base)).toEqual({ status: 200, deployed: mainSha })
      const deployment = github.requests.find((r) => r.method === 'POST' && r.path === '/repos/acme/uro/deployments')
      expect(deployment?.body).toMatchObject({ ref: headSha, environment: 'review/dd-review-pr-5', required_contexts: [], auto_merge: false, transient_environment: true })
      const states = github.requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body?.state)
      expect(states).toEqual(['in_progress', 'success'])
      expect(github.requests.filter((r) => r.path.endsWith('/statuses')).at(-1)?.body).toMatchObject({ environment_url: 'http://dd-review-pr-5.sandbox.test' })

      // A second push to the PR updates the same comment instead of adding one.
      const nextSha = await checkout.commit({ 'index.txt': 'feature 2' })
      const updated = await runAction(run, inputs(base, { 'review-app': 'create', 'github-token': token }), { ...context, pullRequest: { number: 5, headSha: nextSha, headRef: 'feature' } })
      expect(updated.error).toBeUndefined()
      expect(github.commentsOn(5)).toHaveLength(1)
      expect(github.commentsOn(5)[0]?.body).toContain(`is up at http://dd-review-pr-5.sandbox.test with commit ${nextSha.slice(0, 12)}`)

      const destroyed = await runAction(run, inputs(base, { 'review-app': 'destroy', 'github-token': token }), context)
      expect(destroyed.error).toBeUndefined()
      expect((await dokku('apps:exists dd-review-pr-5')).code).toBe(20)
      expect((await dokku(`apps:exists ${base}`)).code).toBe(0)
      expect(github.requests.filter((r) => r.body?.state === 'inactive').length).toBeGreaterThan(0)
      expect(github.commentsOn(5)[0]?.body).toContain('was destroyed')
      for (const run of [created, updated, destroyed]) expect(`${run.everything}\n${JSON.stringify(run.outputs)}`).not.toContain(token)
    } finally {
      await github.stop()
    }
  }, 240_000)

  it('deploys to the branch it was given even when the host has another deploy branch', async () => {
    const app = 'dd-branch'
    const checkout = await repo()
    const first = await checkout.commit({ 'index.txt': 'one' })
    expect((await runAction(run, inputs(app, { ref: first, path: checkout.dir }))).error).toBeUndefined()
    // Someone changed the deploy branch by hand: a push to main would now "succeed" and deploy nothing.
    expect((await dokku(`git:set ${app} deploy-branch master`)).code).toBe(0)
    const second = await checkout.commit({ 'index.txt': 'two' })
    const result = await runAction(run, inputs(app, { ref: second, path: checkout.dir }))
    expect(result.error).toBeUndefined()
    expect(result.log).toContain('set the deploy branch to main (the deploy branch is master)')
    expect(await answering(app)).toEqual({ status: 200, deployed: second })
  })

  it('cancels the build and releases the lock of a cancelled run in the post step', async () => {
    const app = 'dd-cancel'
    const checkout = await repo()
    // The build runs until this file exists, which only the end of the test creates: a build that
    // lasted a fixed time could finish on its own (and unlock the app) before the post step on a
    // loaded machine, leaving nothing to cancel or release.
    const buildGate = join(sandbox.root, 'tmp', `dd-cancel-build-ends-${process.pid}`)
    const slow = await checkout.commit({ '.sandbox/build-until': buildGate })
    const dir = await mkdtemp(join(tmpdir(), 'cancel-'))
    const stateFile = join(dir, 'state')
    await writeFile(stateFile, '')
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RUNNER_TEMP: dir, GITHUB_STATE: stateFile, GITHUB_OUTPUT: join(dir, 'out') }
    for (const [k, v] of Object.entries(inputs(app, { ref: slow, path: checkout.dir }))) env[`INPUT_${k.toUpperCase()}`] = v
    const child = spawn(process.execPath, [join(repoRoot, 'dist/dokku-deploy/index.js')], { env, stdio: 'ignore', detached: true })
    const building = () => appBuildRunning(sandbox, app)
    try {
      await waitFor(building, { what: `a build of ${app} to run` })
    } finally {
      // The runner cancels the job: the step's whole process tree (node, git, ssh) dies mid-deploy.
      process.kill(-(child.pid as number), 'SIGKILL')
      await new Promise((r) => child.once('close', r))
    }
    // The runner hands the main step's saved state to the post step as STATE_* variables.
    const state = Object.fromEntries(
      [...(await readFile(stateFile, 'utf8')).matchAll(/^(\w+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [`STATE_${m[1]}`, m[3] as string])
    )
    expect(state).toMatchObject({ STATE_isPost: 'true', STATE_lockedApp: app })
    // What the host is left with depends on whether its build outlived the SSH session: a build
    // still running, or a stale lock. Either way the post step must leave the app deployable.
    expect((await dokku(`apps:locked ${app}`)).code).toBe(0)
    try {
      const post = await runBundle('dokku-deploy', inputs(app), state as Record<string, string>)
      expect(post.code, post.stdout).toBe(0)
      expect(post.stdout).toMatch(new RegExp(`Cancelled the build the cancelled run had started on ${app}\\.|Released the deploy lock on ${app} left by the cancelled run\\.`))
      expect((await dokku(`apps:locked ${app}`)).code).toBe(1)
      expect(await building()).toBe(false)
    } finally {
      // Whatever the post step did, no build is left waiting (only now: the checks above must see the post step's work, not the gate's).
      await writeFile(buildGate, '')
      await rm(dir, { recursive: true, force: true })
    }
    // The next deploy is not blocked.
    const next = await checkout.commit({ '.sandbox/build-until': null, 'index.txt': 'after cancel' })
    const after = await runAction(run, inputs(app, { ref: next, path: checkout.dir, 'lock-timeout': '0' }))
    expect(after.error).toBeUndefined()
    expect(await answering(app)).toEqual({ status: 200, deployed: next })
    // A deploy, a killed process, a post step and a deploy: minutes on a loaded machine, and no step judged by its time.
  }, 300_000)
})
