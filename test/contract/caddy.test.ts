// caddy:logs/start/stop, nginx:stop/start and scheduler:report as caddy-config relies on them
// (docs/dokku-contract.md#caddy; Dokku 0.38.27 plugins/caddy-vhosts/internal-functions fn-caddy-logs,
// plugins/nginx-vhosts/command-functions cmd-nginx-stop, plugins/scheduler/report.go).
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: [] })

describe('[caddy] caddy container lifecycle', () => {
  it('caddy:logs is docker logs of caddy-caddy-1: an error until caddy:start, gone again after caddy:stop', async () => {
    expect(await h.dokku('caddy:logs --num 1')).toMatchObject({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: caddy-caddy-1\n' })
    expect(await h.dokku('caddy:start')).toMatchObject({ code: 0 })
    expect(await h.dokku('caddy:logs --num 1')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await h.dokku('caddy:start')).toMatchObject({ code: 0 })
    expect(await h.dokku('caddy:stop')).toMatchObject({ code: 0 })
    expect((await h.dokku('caddy:logs')).code).toBe(1)
  })

  it('nginx:stop and nginx:start print nothing of their own and are idempotent', async () => {
    expect(await h.dokku('nginx:stop')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await h.dokku('nginx:stop')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect(await h.dokku('nginx:start')).toMatchObject({ code: 0, stdout: '', stderr: '' })
  })
})

describe('[caddy-labels, apps] caddy:labels:add', () => {
  it('needs a value, and stores only the fourth argument as the value', async () => {
    await h.dokku('apps:create lbl')
    expect(await h.dokku('caddy:labels:add lbl caddy.tls')).toMatchObject({ code: 1, stderr: ' !     Please specify a value for the container label\n' })
    expect((await h.dokku('caddy:labels:add lbl caddy_1.redir "https://a.test{uri} permanent"')).code).toBe(0)
    expect((await h.dokku('caddy:labels:show lbl caddy_1.redir')).stdout).toBe('https://a.test{uri} permanent\n')
    expect((await h.dokku('caddy:labels:add lbl caddy.header X-A 1')).code).toBe(0)
    expect((await h.dokku('caddy:labels:show lbl caddy.header')).stdout).toBe('X-A\n')
  })
})

describe('[apps] scheduler', () => {
  it('scheduler:report: docker-local unless selected; computed falls back to the global value', async () => {
    await h.dokku('apps:create sch')
    expect((await h.dokku('scheduler:report sch --scheduler-computed-selected')).stdout).toBe('docker-local\n')
    expect((await h.dokku('scheduler:set sch selected k3s')).stdout).toBe('=====> Setting selected to k3s\n')
    expect((await h.dokku('scheduler:report sch --scheduler-computed-selected')).stdout).toBe('k3s\n')
    expect((await h.dokku('scheduler:report sch --scheduler-global-selected')).stdout).toBe('docker-local\n')
    expect((await h.dokku('scheduler:report nope')).code).toBe(20)
  })
})
