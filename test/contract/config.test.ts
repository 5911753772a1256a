// config:* (docs/dokku-contract.md#config): output, streams, formats, the godotenv integer quirk, restarts.
import { describe, expect, it } from 'vitest'
import { httpGet, makeRepo, useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: [] })

describe('[config-set, config-storage, config-get, config-export, config-show, config-unset, config-import] config', () => {
  it('config:set prints sorted, columnised values in clear and stores numbers godotenv-style', async () => {
    await h.dokku('apps:create cfg')
    const r = await h.dokku("config:set cfg ZED=last 'GREETING=hello world' COUNT=007 SIGNED=+5 NEG=-0")
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('-----> Setting config vars\n       COUNT:     007\n       GREETING:  hello world\n       NEG:       -0\n       SIGNED:    +5\n       ZED:       last\n')
    expect((await h.dokku('config:get cfg COUNT')).stdout).toBe('7\n')
    expect((await h.dokku('config:get cfg SIGNED')).stdout).toBe('5\n')
    expect((await h.dokku('config:get cfg NEG')).stdout).toBe('0\n')
    expect((await h.dokku('--quiet config:set cfg Q=1')).stdout).toBe('')
  })

  it('config:get: missing key is silent exit 1; --quoted escapes single quotes', async () => {
    expect(await h.dokku('config:get cfg NOPE')).toMatchObject({ code: 1, stdout: '', stderr: '' })
    await h.dokku(`config:set cfg "Q=it's"`)
    expect((await h.dokku('config:get --quoted cfg Q')).stdout).toBe("'it'\\''s'\n")
    expect((await h.dokku('config:get cfg')).stderr).toBe(' !     Expected: key\n')
  })

  it('--encoded decodes base64; a bad value fails', async () => {
    // (not ending in a double quote: godotenv 1.5.1 would give that back ending in a backslash, see fidelity-0.38.27.test.ts)
    const value = Buffer.from('p@ss word "quoted" here').toString('base64')
    expect((await h.dokku(`config:set --encoded --no-restart cfg SECRET=${value}`)).code).toBe(0)
    expect((await h.dokku('config:get cfg SECRET')).stdout).toBe('p@ss word "quoted" here\n')
    const bad = await h.dokku('config:set --encoded cfg SECRET=!!!')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe(" !     illegal base64 data at input byte 0 for key 'SECRET'\n")
  })

  it('errors: no pairs, pair without =, invalid key', async () => {
    expect((await h.dokku('config:set cfg')).stderr).toBe(' !     At least one env pair must be given\n')
    expect((await h.dokku('config:set cfg NOVALUE')).stderr).toBe(' !     Invalid env pair: NOVALUE\n')
    expect((await h.dokku('config:set cfg foo-bar=1')).stderr).toBe(" !     Invalid key name: 'foo-bar'\n")
    expect((await h.dokku('config:unset cfg')).stderr).toBe(' !     At least one key must be given\n')
  })

  it('export formats', async () => {
    await h.dokku('apps:create fmt')
    await h.dokku(`config:set fmt B=2 A='x y' 'D=a$b"c'`)
    expect((await h.dokku('config:export fmt')).stdout).toBe("export A='x y'\nexport B='2'\nexport D='a$b\"c'\n")
    expect((await h.dokku('config:export fmt --format envfile')).stdout).toBe('A="x y"\nB=2\nD="a\\$b\\"c"\n')
    expect((await h.dokku('config:export fmt --format shell')).stdout).toBe("A='x y' B='2' D='a$b\"c' ")
    expect((await h.dokku('config:export fmt --format json')).stdout).toBe('{"A":"x y","B":"2","D":"a$b\\"c"}\n')
    expect((await h.dokku('config:export fmt --format json-list')).stdout).toBe('[{"name":"A","value":"x y"},{"name":"B","value":"2"},{"name":"D","value":"a$b\\"c"}]\n')
    expect((await h.dokku('config:export fmt --format docker-args-keys')).stdout).toBe('--env=A --env=B --env=D\n')
    expect((await h.dokku('config:export fmt --format pack-keys')).stdout).toBe('--env A --env B --env D\n')
    expect((await h.dokku('config:export fmt --format nope')).stderr).toBe(' !     Unknown export format: nope\n')
    await h.dokku('apps:create empty')
    expect((await h.dokku('config:export empty --format json-list')).stdout).toBe('null\n')
    expect((await h.dokku('config:export empty --format json')).stdout).toBe('{}\n')
  })

  it('config:show sorts byte-wise with the quiet-aware header; keys; unset and clear', async () => {
    await h.dokku('apps:create show')
    await h.dokku('config:set show zKey=true bKey=true BKEY=true aKey=true')
    expect((await h.dokku('config:show show')).stdout).toBe('=====> show env vars\nBKEY:  true\naKey:  true\nbKey:  true\nzKey:  true\n')
    expect((await h.dokku('--quiet config:show show')).stdout).toBe('BKEY:  true\naKey:  true\nbKey:  true\nzKey:  true\n')
    expect((await h.dokku('config:keys show')).stdout).toBe('BKEY\naKey\nbKey\nzKey\n')
    expect((await h.dokku('config:unset show aKey nope')).stdout).toBe('-----> Unsetting aKey\n-----> Skipping nope, it is not set in the environment\n')
    expect((await h.dokku('config:clear show')).stdout).toBe('-----> Unsetting BKEY\n-----> Unsetting bKey\n-----> Unsetting zKey\n')
  })

  it('config:import from stdin, --global config', async () => {
    await h.dokku('apps:create imp')
    const r = await h.dokku('config:import imp -', 'A="with spaces"\nB=2\n')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('-----> Reading config vars from stdin\n-----> Setting config var A=with spaces\n-----> Setting config var B=2\n-----> Setting config vars\n       A:  with spaces\n       B:  2\n')
    expect((await h.dokku('config:import imp -', '')).stderr).toBe(' !     No config vars to set\n')
    await h.dokku('config:set --global GLOBAL_ONE=1')
    expect((await h.dokku('config:get --global GLOBAL_ONE')).stdout).toBe('1\n')
    expect((await h.dokku('config:export imp --merged --format json')).stdout).toBe('{"A":"with spaces","B":"2","GLOBAL_ONE":"1"}\n')
  })

  it('config:set restarts a deployed app even when nothing changed (deploy output on stdout)', async () => {
    const repo = await makeRepo('master')
    try {
      const sha = await repo.commit({ 'index.html': 'x\n' })
      expect((await repo.push(h, 'live', 'master')).code).toBe(0)
      const r = await h.dokku('config:set live SAME=1')
      expect(r.stdout).toContain('-----> Restarting app live\n-----> Releasing live...')
      const again = await h.dokku('config:set live SAME=1')
      expect(again.code).toBe(0)
      expect(again.stdout).toContain('-----> Restarting app live\n')
      expect(again.stdout).toContain('=====> Application deployed:')
      const noRestart = await h.dokku('config:set --no-restart live SAME=1')
      expect(noRestart.stdout).toBe('-----> Setting config vars\n       SAME:  1\n')
      const env = JSON.parse((await httpGet(`${await h.sandbox.appUrl('live')}/__sandbox/env`)).body) as Record<string, string>
      expect(env.SAME).toBe('1')
      expect(env.GIT_REV).toBe(sha)
    } finally {
      await repo.cleanup()
    }
  })
})
