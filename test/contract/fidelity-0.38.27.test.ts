// Where Dokku 0.38.27 differs from what the toolkit once assumed (issue 13, checked against the
// dokku v0.38.27 tag and the godotenv v1.5.1 it is built with).
import { describe, expect, it } from 'vitest'
import { makeRepo, remoteLines, useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: [] })
const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64')

describe('[apps, config] dokku 0.38.27 config storage (godotenv 1.5.1)', () => {
  it('Dokku 0.38.27: a value ending in a double quote comes back ending in a backslash; 007 comes back as 7', async () => {
    await h.dokku('apps:create quotes')
    expect((await h.dokku(`config:set --encoded --no-restart quotes Q=${b64('say "hi"')} PAD=${b64('007')} SAFE=${b64('$HOME `id` a\\"b')}`)).code).toBe(0)
    const env = JSON.parse((await h.dokku('config:export --format json quotes')).stdout) as Record<string, string>
    expect(env).toEqual({ Q: 'say "hi\\', PAD: '7', SAFE: '$HOME `id` a\\"b' })
  })

  it('Dokku 0.38.27: a value ending in a backslash breaks every later config read of that app', async () => {
    await h.dokku('apps:create slash')
    expect((await h.dokku(`config:set --encoded --no-restart slash A=${b64('C:\\dir\\')} B=${b64('next')}`)).code).toBe(0)
    const read = await h.dokku('config:export --format json slash')
    expect(read.code).toBe(1)
    expect(read.stderr).toMatch(/^ ! {5}unexpected character "\\"" in variable name near/)
    expect((await h.dokku('config:get slash B')).code).toBe(1)
    expect((await h.dokku('config:set --no-restart slash C=1')).code).toBe(1)
  })
})

describe('[apps, git-from-image, deploy-lock, apps-clone, ps] dokku 0.38.27 apps:clone', () => {
  it('Dokku 0.38.27: copies the deploy lock file, the deploy source and the cached deployed flag, but no container', async () => {
    await h.dokku('apps:create cl-src')
    expect((await h.dokku('git:from-image cl-src registry.example/acme/web:1')).code).toBe(0)
    await h.dokku('apps:lock cl-src')
    expect((await h.dokku('apps:clone --skip-deploy cl-src cl-dst')).code).toBe(0)
    expect((await h.dokku('apps:locked cl-dst')).code).toBe(0)
    const apps = JSON.parse((await h.dokku('apps:report cl-dst --format json')).stdout) as Record<string, string>
    expect(apps).toMatchObject({ 'deploy-source': 'docker-image', 'deploy-source-metadata': 'registry.example/acme/web:1' })
    const ps = JSON.parse((await h.dokku('ps:report cl-dst --format json')).stdout) as Record<string, string>
    expect(ps).toMatchObject({ deployed: 'true', running: 'false' })
  })
})

describe('[apps, git-from-image] dokku 0.38.27 git push of a ref that is not the deploy branch (the deploy mutex primitive)', () => {
  it('Dokku 0.38.27: accepts it without deploying once a deploy branch is set, and git refuses a create or delete whose old value is stale', async () => {
    await h.dokku('apps:create mx')
    // git:from-image of a new app records its deploy branch (dokku v0.38.27 plugins/git/internal-functions fn-git-clone).
    expect((await h.dokku('git:from-image mx registry.example/acme/web:1')).code).toBe(0)
    const repo = await makeRepo()
    try {
      const one = await repo.commit({ 'lock.json': '{"holder":"one"}' })
      const created = await repo.push(h, 'mx', `${one}:refs/dokku-stack/deploy-lock`, ['--force-with-lease=refs/dokku-stack/deploy-lock:'])
      expect(created.code).toBe(0)
      expect(remoteLines(created.stderr)).toContain('-----> WARNING: deploy did not complete, you must push to master.')
      const report = JSON.parse((await h.dokku('apps:report mx --format json')).stdout) as Record<string, string>
      expect(report['deploy-source-metadata']).toBe('registry.example/acme/web:1')
      // A second create (old value "absent") loses: the ref exists.
      const two = await repo.commit({ 'lock.json': '{"holder":"two"}' })
      const again = await repo.push(h, 'mx', `${two}:refs/dokku-stack/deploy-lock`, ['--force-with-lease=refs/dokku-stack/deploy-lock:'])
      expect(again.code).not.toBe(0)
      expect(again.stderr).toMatch(/stale info|rejected/)
      // A delete that names the wrong old value loses; the right one wins.
      expect((await repo.push(h, 'mx', ':refs/dokku-stack/deploy-lock', [`--force-with-lease=refs/dokku-stack/deploy-lock:${two}`])).code).not.toBe(0)
      expect((await repo.push(h, 'mx', ':refs/dokku-stack/deploy-lock', [`--force-with-lease=refs/dokku-stack/deploy-lock:${one}`])).code).toBe(0)
    } finally {
      await repo.cleanup()
    }
  })
})
