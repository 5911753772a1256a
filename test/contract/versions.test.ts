// Version differences: the sandbox playing dokku 0.37.5 (docs/dokku-contract.md#versions).
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ dokkuVersion: '0.37.5', plugins: [] })

describe('[versions, version, apps-list, reports, build-capture, git-from-image, docker-options-add, storage-legacy, caddy, builds] dokku 0.37.5', () => {
  it('version', async () => {
    expect((await h.dokku('version')).stdout).toBe('dokku version 0.37.5\n')
  })

  it('apps:list has no --format (pflag exit 2); Go report JSON has only the legacy keys; no --global', async () => {
    await h.dokku('apps:create old')
    const list = await h.dokku('apps:list --format json')
    expect(list.code).toBe(2)
    expect(list.stderr).toContain('unknown flag: --format')
    const json = JSON.parse((await h.dokku('apps:report old --format json')).stdout) as Record<string, string>
    expect(json['app-locked']).toBe('false')
    expect(json.locked).toBeUndefined()
    expect((await h.dokku('apps:report --global')).code).toBe(1)
  })

  it('bash reports: %-30s %-25s layout, --format is an invalid info flag', async () => {
    const r = await h.dokku('domains:report old')
    expect(r.stdout).toBe(
      '=====> old domains information\n' +
        `       ${'Domains app enabled:'.padEnd(30)} ${'true'.padEnd(25)}\n` +
        `       ${'Domains app vhosts:'.padEnd(30)} ${'old.sandbox.test'.padEnd(25)}\n` +
        `       ${'Domains global enabled:'.padEnd(30)} ${'true'.padEnd(25)}\n` +
        `       ${'Domains global vhosts:'.padEnd(30)} ${'sandbox.test'.padEnd(25)}\n`
    )
    const json = await h.dokku('domains:report old --format json')
    expect(json.code).toBe(1)
    expect(json.stderr).toBe(' !     Invalid flag passed, valid flags: --domains-app-enabled --domains-app-vhosts --domains-global-enabled --domains-global-vhosts\n')
    expect((await h.dokku('checks:report old --checks-wait-to-retire')).stdout).toBe('')
  })

  it('no build capture: early and deploy errors stay on stderr', async () => {
    const r = await h.dokku('ps:restart nope')
    expect(r).toMatchObject({ code: 20, stdout: '', stderr: ' !     App nope does not exist\n' })
    expect((await h.dokku('git:from-image old ghcr.io/acme/old:1')).code).toBe(0)
    const again = await h.dokku('git:from-image old ghcr.io/acme/old:1')
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(" !     No changes detected, skipping git commit\n !     Call 'ps:rebuild' on app to rebuild the app from existing source\n")
  })

  it('docker-options:add de-duplicates; storage without named entries or deprecation; caddy per-app keys accepted; no builds plugin', async () => {
    await h.dokku('docker-options:add old deploy "-p 1:1"')
    await h.dokku('docker-options:add old deploy "-p 1:1"')
    expect((await h.dokku('docker-options:report old --docker-options-deploy')).stdout).toBe('-p 1:1\n')
    expect((await h.dokku('storage:ensure-directory data1')).stderr).toBe('')
    await h.dokku('storage:mount old /var/lib/dokku/data/storage/data1:/data')
    expect((await h.dokku('storage:list old')).stdout).toBe('/var/lib/dokku/data/storage/data1:/data\n')
    expect((await h.dokku('storage:create x')).code).toBe(1)
    expect((await h.dokku('caddy:set old letsencrypt-email a@b.c')).code).toBe(0)
    expect((await h.dokku('builds:list old')).stderr).toContain('is not a dokku command.')
  })
})
