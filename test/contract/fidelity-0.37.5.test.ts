// Where Dokku 0.37.5 differs from what the toolkit once assumed (issue 13, checked against the
// dokku v0.37.5 tag): the simulator playing 0.37.5 must answer as that tag does.
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ dokkuVersion: '0.37.5', plugins: [] })

describe('[apps, proxy, git-set, git-report, git-from-image, run-enter] dokku 0.37.5 command forms', () => {
  it('Dokku 0.37.5: proxy:set takes the proxy type as its second word; the key form sets the type to "type"', async () => {
    await h.dokku('apps:create px')
    expect((await h.dokku('proxy:set px caddy')).code).toBe(0)
    expect(JSON.parse((await h.dokku('proxy:report px --format json')).stdout)['proxy-type']).toBe('caddy')
    expect((await h.dokku('proxy:set px type caddy')).code).toBe(0)
    expect(JSON.parse((await h.dokku('proxy:report px --format json')).stdout)['proxy-type']).toBe('type')
    const none = await h.dokku('proxy:set px')
    expect(none).toMatchObject({ code: 1, stderr: ' !     Please specify a proxy type\n' })
  })

  it('Dokku 0.37.5: git:set has no archive-max-* keys ("Invalid key specified")', async () => {
    const r = await h.dokku('git:set --global archive-max-size 1000')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(' !     Invalid key specified, valid keys include: deploy-branch, keep-git-dir, rev-env-var, source-image\n')
  })

  it('Dokku 0.37.5: git:report deploy-branch is master when unset, whatever the global branch', async () => {
    await h.dokku('apps:create gb')
    await h.dokku('git:set --global deploy-branch main')
    try {
      const report = (await h.dokku('git:report gb')).stdout
      expect(report).toMatch(/Git deploy branch:\s+master\s*\n/)
      expect(report).toMatch(/Git global deploy branch:\s+main\s*\n/)
      await h.dokku('git:set gb deploy-branch release')
      expect((await h.dokku('git:report gb')).stdout).toMatch(/Git deploy branch:\s+release\s*\n/)
    } finally {
      await h.dokku('git:set --global deploy-branch')
    }
  })

  it('Dokku 0.37.5: enter --container-id <id> <command> takes the command as the process type and drops the id', async () => {
    await h.dokku('apps:create en')
    expect((await h.dokku('git:from-image en ghcr.io/acme/web:1')).code).toBe(0)
    const byType = await h.dokku('enter en web echo hello')
    expect(byType).toMatchObject({ code: 0, stdout: 'hello\n' })
    const byId = await h.dokku('enter en --container-id whatever echo hello')
    expect(byId.code).toBe(1)
    expect(byId.stderr).toContain(" !     No containers found for type 'echo'")
  })
})

describe('[apps, config] dokku 0.37.5 config storage (godotenv 1.2.0)', () => {
  const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64')
  it('Dokku 0.37.5: every value is quoted, so 007 stays 007 and trailing quotes and backslashes survive', async () => {
    await h.dokku('apps:create cfg')
    expect((await h.dokku(`config:set --encoded --no-restart cfg PAD=${b64('007')} Q=${b64('say "hi"')} S=${b64('C:\\dir\\')}`)).code).toBe(0)
    const env = JSON.parse((await h.dokku('config:export --format json cfg')).stdout) as Record<string, string>
    expect(env).toEqual({ PAD: '007', Q: 'say "hi"', S: 'C:\\dir\\' })
  })
})
