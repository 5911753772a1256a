// Deploys: real `git push` through the forced command (docs/dokku-contract.md#git-push, #git, #deploy-lock, #deploy-output, #git-from-archive, #deployed-state).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpGet, makeRepo, remoteLines, useSandbox } from './helpers.ts'
import type { Repo } from './helpers.ts'
import { buildGate } from '../support/sandbox-deploys.ts'

const h = useSandbox({ plugins: [] })
let repo: Repo

beforeAll(async () => {
  repo = await makeRepo('main')
})
afterAll(async () => {
  await repo?.cleanup()
})

describe('[git-push, deploy-output, deploy-lock, deployed-state, logs-failed, ps-rebuild, ps-restart] git push', () => {
  let first = ''

  it('first push of a new app auto-creates it, sets the deploy branch and deploys', async () => {
    first = await repo.commit({ 'Procfile': 'web: node server.js\n', 'index.js': 'one\n' })
    const r = await repo.push(h, 'web', 'main')
    expect(r.code).toBe(0)
    const lines = remoteLines(r.stderr)
    expect(lines[0]).toBe('-----> Set main as deploy-branch')
    expect(lines).toContain('-----> Cleaning up...')
    expect(lines).toContain('-----> Releasing web...')
    expect(lines).toContain('-----> Deploying web via the docker-local scheduler...')
    expect(lines).toContain('-----> Deploying web (count=1)')
    const deployed = lines.indexOf('=====> Application deployed:')
    expect(deployed).toBeGreaterThan(0)
    expect(lines[deployed + 1]).toBe('       http://web.sandbox.test')
    const res = await httpGet(`${await h.sandbox.appUrl('web')}/health`)
    expect(res).toMatchObject({ status: 200, deployed: first })
    expect((await h.dokku('apps:report web --app-deploy-source')).stdout).toBe('git-push\n')
    expect((await h.dokku('apps:report web --app-deploy-source-metadata')).stdout).toBe(`${first}\n`)
    expect((await h.dokku('config:get web GIT_REV')).stdout).toBe(`${first}\n`)
    expect((await h.dokku('git:report web --git-deploy-branch')).stdout).toBe('main\n')
    expect((await h.dokku('ps:report web --deployed')).stdout).toBe('true\n')
    expect((await h.dokku('apps:locked web')).code).toBe(1)
  })

  it('a push to another branch warns, exits 0 and deploys nothing', async () => {
    await repo.git('checkout', '-q', '-b', 'feature')
    await repo.commit({ 'feature.txt': 'x\n' })
    const r = await repo.push(h, 'web', 'feature')
    expect(r.code).toBe(0)
    expect(remoteLines(r.stderr)).toEqual(['-----> WARNING: deploy did not complete, you must push to main.', "-----> for example, try 'git push <dokku> feature:main'"])
    expect((await httpGet(await h.sandbox.appUrl('web'))).deployed).toBe(first)
    await repo.git('checkout', '-q', 'main')
  })

  it('a failing build rejects the push and keeps the previous container', async () => {
    await repo.commit({ '.sandbox/fail-build': 'yes\n' })
    const r = await repo.push(h, 'web', 'main')
    expect(r.code).not.toBe(0)
    expect(remoteLines(r.stderr)).toContain(' !     App build failed')
    expect(r.stderr).toContain('(pre-receive hook declined)')
    expect((await httpGet(await h.sandbox.appUrl('web'))).deployed).toBe(first)
    expect((await h.dokku('apps:report web --app-deploy-source-metadata')).stdout).toBe(`${first}\n`)
    await repo.git('reset', '-q', '--hard', 'HEAD~1')
  })

  it('an unhealthy tree deploys and answers /health with 500', async () => {
    const sha = await repo.commit({ '.sandbox/unhealthy': 'yes\n' })
    expect((await repo.push(h, 'web', 'main')).code).toBe(0)
    const res = await httpGet(`${await h.sandbox.appUrl('web')}/health`)
    expect(res).toMatchObject({ status: 500, deployed: sha })
    await repo.git('rm', '-q', '.sandbox/unhealthy')
    await repo.git('commit', '-q', '-m', 'healthy')
    expect((await repo.push(h, 'web', 'main')).code).toBe(0)
    expect((await httpGet(`${await h.sandbox.appUrl('web')}/health`)).status).toBe(200)
  })

  it('app.json healthchecks that fail keep the old release and record a failed container', async () => {
    const before = (await httpGet(await h.sandbox.appUrl('web'))).deployed
    await repo.commit({ 'app.json': JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/health' }] } }), '.sandbox/unhealthy': 'yes\n' })
    const r = await repo.push(h, 'web', 'main')
    expect(r.code).not.toBe(0)
    expect(remoteLines(r.stderr)).toContain(' !     Could not start due to 1 failed checks (web.1)')
    expect((await httpGet(await h.sandbox.appUrl('web'))).deployed).toBe(before)
    const failed = await h.dokku('logs:failed web')
    expect(failed.stdout.startsWith('=====> web failed deploy logs\n')).toBe(true)
    await repo.git('reset', '-q', '--hard', 'HEAD~1')
  })

  it('a shallow push runs the build and is then rejected by git (shallow update not allowed)', async () => {
    const shallowDir = mkdtempSync(join(tmpdir(), 'contract-shallow-'))
    try {
      spawnSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, shallowDir])
      const r = spawnSync('git', ['-C', shallowDir, 'push', h.sandbox.remoteUrl('shallow-app'), 'HEAD:refs/heads/main'], { env: h.sandbox.gitEnv(), encoding: 'utf8' })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('(shallow update not allowed)')
    } finally {
      rmSync(shallowDir, { recursive: true, force: true })
    }
  })

  it('two concurrent pushes: the second fails at once with the lock lines, the first deploys', async () => {
    // The first build runs until the test opens its gate, so the second push certainly meets its lock.
    const gate = buildGate(h.sandbox, 'contract-web')
    const slow = await repo.commit(gate.files, 'slow')
    const pushA = repo.push(h, 'web', 'main')
    const other = await makeRepo('main')
    try {
      for (let i = 0; i < 1200 && (await h.dokku('apps:locked web')).code !== 0; i++) await new Promise((r) => setTimeout(r, 100))
      await other.commit({ 'other.txt': 'b\n' })
      const b = await other.push(h, 'web', 'main', ['--force'])
      expect(b.code).not.toBe(0)
      expect(remoteLines(b.stderr)).toEqual(expect.arrayContaining([' !     web currently has a deploy lock in place. Exiting...', " !     Run 'apps:unlock' to release the existing deploy lock"]))
    } finally {
      await gate.open()
      await other.cleanup()
    }
    const a = await pushA
    await repo.git('rm', '-q', '.sandbox/build-until')
    expect(a.code).toBe(0)
    expect((await httpGet(await h.sandbox.appUrl('web'))).deployed).toBe(slow)
    expect((await h.dokku('apps:locked web')).code).toBe(1)
  })

  it('apps:lock does not block a deploy, and the deploy removes the marker', async () => {
    await h.dokku('apps:lock web')
    const sha = await repo.commit({ 'after-lock.txt': '1\n' })
    expect((await repo.push(h, 'web', 'main')).code).toBe(0)
    expect((await httpGet(await h.sandbox.appUrl('web'))).deployed).toBe(sha)
    expect((await h.dokku('apps:locked web')).code).toBe(1)
  })

  it('ps:rebuild redeploys the branch head; ps:restart redeploys without the lock', async () => {
    const rebuild = await h.dokku('ps:rebuild web')
    expect(rebuild.code).toBe(0)
    expect(rebuild.stdout).toContain('=====> Application deployed:')
    expect(rebuild.stderr).toBe('')
    const restart = await h.dokku('ps:restart web')
    expect(restart.code).toBe(0)
    expect(restart.stdout).toContain('-----> Releasing web...')
    expect((await h.dokku('ps:restart nope')).stdout).toBe(' !     App nope does not exist\n')
  })
})

describe('[git-from-image, deployed-state, build-capture, exit-codes] git:from-image', () => {
  it('pulls, commits a Dockerfile, deploys the image and records the deploy source', async () => {
    await h.dokku('apps:create img')
    const r = await h.dokku('git:from-image img ghcr.io/acme/web:1.0.0')
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('-----> Generating build context\n-----> Pulling image\n')).toBe(true)
    expect(r.stdout).toContain('-----> Updating git repository with specified build context\n       Detected branch, setting deploy-branch to master\n')
    expect(r.stdout).toContain('-----> Building img from Dockerfile')
    expect(r.stdout).toContain('=====> Application deployed:\n       http://img.sandbox.test\n')
    expect((await httpGet(await h.sandbox.appUrl('img'))).deployed).toBe('ghcr.io/acme/web:1.0.0')
    expect((await h.dokku('apps:report img --app-deploy-source')).stdout).toBe('docker-image\n')
    expect((await h.dokku('apps:report img --app-deploy-source-metadata')).stdout).toBe('ghcr.io/acme/web:1.0.0\n')
    expect((await h.dokku('git:report img --git-source-image')).stdout).toBe('ghcr.io/acme/web:1.0.0\n')
  })

  it('the same image again: No changes detected on stdout (0.38 capture), exit 1; --force only forces the pull', async () => {
    const r = await h.dokku('git:from-image img ghcr.io/acme/web:1.0.0')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('-----> Image exists on host, skipping pull\n')
    expect(r.stdout).toContain(" !     No changes detected, skipping git commit\n !     Call 'ps:rebuild' on app to rebuild the app from existing source\n")
    expect(r.stderr).toBe('')
    const forced = await h.dokku('git:from-image --force img ghcr.io/acme/web:1.0.0')
    expect(forced.code).toBe(1)
    expect(forced.stdout).toContain('-----> Force pulling image\n')
    expect(forced.stdout).toContain('No changes detected')
  })

  it('a missing image fails the pull; an image that fails to build rolls the ref back', async () => {
    const missing = await h.dokku('git:from-image img missing/nothing:1')
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain(' !     Failed to pull image: missing/nothing:1\n')
    const sha = (await h.dokku('git:report img --git-sha')).stdout
    const failing = await h.dokku('git:from-image img ghcr.io/acme/fail-build:2')
    expect(failing.code).toBe(1)
    expect(failing.stdout).toContain(' !     App build failed\n')
    expect((await h.dokku('git:report img --git-sha')).stdout).toBe(sha)
    expect((await h.dokku('git:report img --git-source-image')).stdout).toBe('ghcr.io/acme/fail-build:2\n')
    expect((await h.dokku('apps:report img --app-deploy-source-metadata')).stdout).toBe('ghcr.io/acme/web:1.0.0\n')
    expect((await httpGet(await h.sandbox.appUrl('img'))).deployed).toBe('ghcr.io/acme/web:1.0.0')
  })

  it('an unhealthy image deploys and answers /health with 500; a missing app exits 20 on stderr', async () => {
    expect((await h.dokku('git:from-image img ghcr.io/acme/unhealthy:3')).code).toBe(0)
    expect((await httpGet(`${await h.sandbox.appUrl('img')}/health`)).status).toBe(500)
    expect(await h.dokku('git:from-image nope ghcr.io/acme/web:1')).toMatchObject({ code: 20, stderr: ' !     App nope does not exist\n' })
  })
})

describe('[git-from-archive] git:from-archive', () => {
  it('reads a tar from stdin with --, prints the byte count and deploys', async () => {
    await h.dokku('apps:create arch')
    const dir = mkdtempSync(join(tmpdir(), 'contract-archive-'))
    try {
      mkdirSync(join(dir, 'app'))
      writeFileSync(join(dir, 'app', 'index.html'), 'hi\n')
      const tar = spawnSync('tar', ['-c', '-C', dir, 'app']).stdout
      const r = await h.dokku('git:from-archive arch --', tar)
      expect(r.code).toBe(0)
      expect(r.stdout.startsWith(`-----> Fetching tar file from stdin\n${tar.length}\n-----> Generating build context\n       Striping 1 worth of directories from tarball\n`)).toBe(true)
      expect(r.stdout).toContain('=====> Application deployed:')
      expect((await h.dokku('apps:report arch --app-deploy-source')).stdout).toBe('tar\n')
      expect((await h.dokku('apps:report arch --app-deploy-source-metadata')).stdout).toBe('--\n')
      const again = await h.dokku('git:from-archive arch --', tar)
      expect(again.code).toBe(1)
      expect(again.stdout).toContain('No changes detected')
      expect((await h.dokku('git:from-archive arch')).stderr).toBe(' !     Please specify an archive url or -- to fetch the archive from stdin\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('[builds] builds (0.38)', () => {
  it('records builds with sources and keeps their logs', async () => {
    const list = await h.dokku('builds:list web --format json')
    const records = JSON.parse(list.stdout) as Array<{ id: string; source: string; status: string; kind: string }>
    expect(records.length).toBeGreaterThan(0)
    expect(records.some((r) => r.source === 'git-hook' && r.status === 'succeeded' && r.kind === 'build')).toBe(true)
    const ok = records.find((r) => r.status === 'succeeded') as { id: string }
    const out = await h.dokku(`builds:output web ${ok.id}`)
    expect(out.stdout).toContain('=====> Application deployed:')
    expect((await h.dokku('builds:output web')).stdout).toBe('-----> App not currently deploying\n')
    expect((await h.dokku('builds:info web nope')).stderr).toBe(' !     No build record found for web/nope\n')
  })
})
