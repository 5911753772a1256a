// DokkuClient git:* against the sandbox host: image and archive deploys (a real tar stream on stdin),
// "No changes detected" as an outcome, the deploy lock, git properties and the report.
import { spawn } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeployLockedError, DokkuArgumentError, DokkuCommandError, type DokkuClient } from '../../../src/core/dokku/index.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { connect, raw, rejection, unique } from './helpers.ts'
import { buildGate } from '../../support/sandbox-deploys.ts'

const sandbox = sharedSandbox()
let dokku: DokkuClient
const apps: string[] = []
const dirs: string[] = []

beforeAll(async () => {
  ;({ dokku } = await connect(sandbox))
})
afterAll(async () => {
  for (const app of apps) if (await dokku.apps.exists(app)) await dokku.apps.destroy(app)
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

async function newApp(base: string): Promise<string> {
  const app = unique(base)
  await dokku.apps.create(app)
  apps.push(app)
  return app
}

/** A real `tar -c` stream of `files`, under a top-level `app/` folder as GitHub archives have. */
async function tarStream(files: Record<string, string>, options: { gzip?: boolean } = {}): Promise<Readable> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-archive-'))
  dirs.push(dir)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'app', path)), { recursive: true })
    await writeFile(join(dir, 'app', path), content)
  }
  const tar = spawn('tar', [options.gzip ? '-cz' : '-c', '-C', dir, 'app'], { stdio: ['ignore', 'pipe', 'inherit'] })
  // Read at once: Node discards a child's unread stdout when the child exits (flushStdio), and tar
  // exits long before the SSH channel is open. The PassThrough applies backpressure to tar instead.
  return tar.stdout.pipe(new PassThrough())
}

describe.concurrent('git:* on the sandbox host', () => {
  it('deploys an image, treats the same reference as no change (also with force), and reports it', async () => {
    const app = await newApp('image')
    const lines: string[] = []
    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/web:1.2.3', { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(lines).toContain('-----> Pulling image')
    expect(lines).toContain('=====> Application deployed:')
    expect(await dokku.apps.report(app)).toMatchObject({ deploySource: 'docker-image', deploySourceMetadata: 'ghcr.io/acme/web:1.2.3' })
    expect(await dokku.git.report(app)).toMatchObject({ 'source-image': 'ghcr.io/acme/web:1.2.3', 'computed-deploy-branch': 'master' })
    expect((await dokku.git.report(app))['sha']).toMatch(/^[0-9a-f]{40}$/)

    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/web:1.2.3')).toEqual({ changed: false, reason: 'no-changes' })
    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/web:1.2.3', { force: true })).toEqual({ changed: false, reason: 'no-changes' })
    expect(await dokku.git.fromImage(app, 'ghcr.io/acme/web@sha256:' + 'ab'.repeat(32))).toEqual({ changed: true })
    expect((await dokku.apps.report(app)).deploySourceMetadata).toBe('ghcr.io/acme/web@sha256:' + 'ab'.repeat(32))

    // A failed build: the error carries Dokku's failure text, which the 0.38 build capture put on stdout.
    const failed = await rejection(dokku.git.fromImage(app, 'ghcr.io/acme/fail-build:1'))
    expect(failed).toBeInstanceOf(DokkuCommandError)
    expect((failed as DokkuCommandError).exitCode).toBe(1)
    expect(failed.message).toMatch(/^`dokku git:from-image \S+ ghcr\.io\/acme\/fail-build:1` exited with code 1:\n/)
    expect(failed.message).toContain(' !     App build failed')
    expect((await dokku.apps.report(app)).deploySourceMetadata).toBe('ghcr.io/acme/web@sha256:' + 'ab'.repeat(32))
    await expect(dokku.git.fromImage(app, '--force')).rejects.toBeInstanceOf(DokkuArgumentError)
  })

  it('deploys a tar stream from stdin, and the same tree again is no change', async () => {
    const app = await newApp('archive')
    const lines: string[] = []
    const files = { 'index.txt': 'one', 'Procfile': 'web: serve\n', 'deep/dir/file.txt': 'x'.repeat(200_000) }
    expect(await dokku.git.fromArchive(app, await tarStream(files), { onOutput: (l) => lines.push(l) })).toEqual({ changed: true })
    expect(lines).toContain('-----> Fetching tar file from stdin')
    expect(lines).toContain('       Striping 1 worth of directories from tarball')
    expect(lines).toContain('-----> Updating git repository with specified build context')
    expect(lines).toContain('=====> Application deployed:')
    expect(await dokku.apps.report(app)).toMatchObject({ deploySource: 'tar', deploySourceMetadata: '--' })
    expect((await dokku.git.report(app))['computed-deploy-branch']).toBe('master')

    expect(await dokku.git.fromArchive(app, await tarStream(files))).toEqual({ changed: false, reason: 'no-changes' })
    expect(await dokku.git.fromArchive(app, await tarStream({ ...files, 'index.txt': 'two' }), { archiveType: 'tar' })).toEqual({ changed: true })
    const page = await fetch(await sandbox.appUrl(app))
    expect(page.headers.get('x-sandbox-deployed')).toBe((await dokku.git.report(app))['sha'])
    await page.body?.cancel()
  })

  it('deploys a gzipped tar when told its type', async () => {
    const app = await newApp('targz')
    expect(await dokku.git.fromArchive(app, await tarStream({ 'index.txt': 'gz' }, { gzip: true }), { archiveType: 'tar.gz' })).toEqual({ changed: true })
    expect(await dokku.apps.report(app)).toMatchObject({ deploySource: 'tar.gz', deploySourceMetadata: '--' })
    const page = await fetch(await sandbox.appUrl(app))
    expect(page.status).toBe(200)
    await page.body?.cancel()
  })

  it('fails a second deploy at once with DeployLockedError while a build holds the lock', async () => {
    const app = await newApp('locked')
    const gate = buildGate(sandbox, app)
    const slow = dokku.git.fromArchive(app, await tarStream({ 'index.txt': 'slow', ...gate.files }))
    let error: Error
    try {
      for (let i = 0; i < 2400 && (await raw(sandbox, `apps:locked ${app}`)).code !== 0; i++) await new Promise((r) => setTimeout(r, 50))
      const second = await connect(sandbox)
      error = await rejection(second.dokku.git.fromImage(app, 'ghcr.io/acme/web:2'))
    } finally {
      await gate.open()
    }
    expect(error).toBeInstanceOf(DeployLockedError)
    expect((error as DeployLockedError).app).toBe(app)
    expect(error.message).toContain(`another deploy of "${app}" holds its deploy lock`)
    expect(error.message).toContain(`${app} currently has a deploy lock in place. Exiting...`)
    expect(await slow).toEqual({ changed: true })
    expect(await dokku.apps.locked(app)).toBe(false)
  })

  it('sets git properties and reads them back from the report', async () => {
    const app = await newApp('props')
    expect(await dokku.git.report(app)).toMatchObject({ 'deploy-branch': '', 'computed-deploy-branch': 'master', 'rev-env-var': 'GIT_REV', 'source-image': '' })
    await dokku.git.set(app, 'deploy-branch', 'release')
    await dokku.git.set(app, 'keep-git-dir', 'true')
    await dokku.git.set(app, 'rev-env-var', 'SOURCE_VERSION')
    expect(await dokku.git.report(app)).toMatchObject({
      'deploy-branch': 'release',
      'computed-deploy-branch': 'release',
      'keep-git-dir': 'true',
      'computed-keep-git-dir': 'true',
      'rev-env-var': 'SOURCE_VERSION'
    })
    // An image deploy commits onto the deploy branch and records its revision under rev-env-var.
    await dokku.git.fromImage(app, 'ghcr.io/acme/web:3')
    expect((await dokku.config.export(app))['SOURCE_VERSION']).toMatch(/^[0-9a-f]{40}$/)
    await dokku.git.set(app, 'deploy-branch')
    expect(await dokku.git.report(app)).toMatchObject({ 'deploy-branch': '', 'computed-deploy-branch': 'master' })
    await expect(dokku.git.set(app, 'deploy-branch', 'two words')).rejects.toThrow()
  })
})
