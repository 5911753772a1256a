// The CockroachDB recipe (docs/dokku-contract.md#cockroach-app) against the shared sandbox host. CockroachDB itself cannot
// run here: the simulator deploys the image as an app container and keeps every setting the recipe
// makes, so these tests prove the command sequence, the resulting host state and idempotency.
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { changingCommands, config, containerPid, deployTinyApp, dokku, inputsFor, liveEnv, restarts, runService } from './helpers.ts'

const sandbox = sharedSandbox()
const service = 'ds-crdb'
const app = 'ds-crdb-app'
const inputs = (extra: Record<string, string> = {}) => inputsFor(sandbox, { engine: 'cockroach', service, app, ...extra })

async function report(command: string): Promise<Record<string, unknown>> {
  return JSON.parse((await dokku(sandbox, `${command} --format json`)).stdout) as Record<string, unknown>
}

describe('dokku-service: cockroach', () => {
  it('prints the whole recipe in a dry run and touches nothing', async () => {
    const dry = await runService(inputsFor(sandbox, { engine: 'cockroach', service: 'ds-crdb-dry', app: 'ds-crdb-dry-app', 'dry-run': 'true' }))
    expect(dry.error).toBeUndefined()
    expect(dry.outputs).toEqual({ service: 'ds-crdb-dry', changed: 'false' })
    expect(dry.log).toContain('group: Plan for cockroach service ds-crdb-dry (dry run: nothing will change)')
    expect(dry.log).toContain('10. deploy cockroachdb/cockroach:v22.1.22 to ds-crdb-dry (git:from-image) (the node has not been deployed yet)')
    expect(dry.log).toContain('12. set DATABASE_URL on ds-crdb-dry-app without a restart (value not shown)')
    expect(changingCommands(dry.log)).toEqual([])
    expect((await dokku(sandbox, 'apps:exists ds-crdb-dry')).code).toBe(20)
    expect((await dokku(sandbox, 'network:exists ds-crdb-dry-net')).code).toBe(1)
  })

  it('runs the recipe in order: storage, start command, checks, restart policy, proxy, network, pinned image, then the app', async () => {
    await deployTinyApp(sandbox, app)
    const before = await restarts(sandbox, app)
    const first = await runService(inputs({ 'config-options': '--cache=.25 --max-sql-memory=.25', memory: '2048' }))
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ service, changed: 'true' })
    expect(changingCommands(first.log)).toEqual([
      'apps:create ds-crdb',
      'storage:create ds-crdb-data --chown root',
      'storage:mount ds-crdb ds-crdb-data --container-dir /cockroach/cockroach-data',
      'storage:create ds-crdb-certs --chown root',
      'storage:mount ds-crdb ds-crdb-certs --container-dir /cockroach/certs',
      'config:set --encoded --no-restart ds-crdb COCKROACH_ARGS=*** COCKROACH_DATABASE=*** COCKROACH_USER=*** COCKROACH_PASSWORD=***',
      'checks:disable ds-crdb',
      'ps:set ds-crdb restart-policy unless-stopped',
      'proxy:disable ds-crdb',
      'resource:limit --memory 2048m ds-crdb',
      'network:create ds-crdb-net',
      'network:set ds-crdb attach-post-create ds-crdb-net',
      'git:from-image ds-crdb cockroachdb/cockroach:v22.1.22',
      'config:set --encoded --no-restart ds-crdb-app DATABASE_URL=***',
      'network:set ds-crdb-app attach-post-create ds-crdb-net',
      'ps:restart ds-crdb-app'
    ])

    // What the host holds afterwards.
    const node = await config(sandbox, service)
    expect(node).toMatchObject({
      COCKROACH_ARGS: 'start-single-node --accept-sql-without-tls --cache=.25 --max-sql-memory=.25',
      COCKROACH_DATABASE: 'ds_crdb',
      COCKROACH_USER: 'ds_crdb'
    })
    expect(node.COCKROACH_PASSWORD).toMatch(/^[0-9a-f]{48}$/)
    const mounts = JSON.parse((await dokku(sandbox, `storage:list ${service} --format json`)).stdout) as Array<{ entry_name: string; container_path: string }>
    expect(mounts.map((m) => [m.entry_name, m.container_path]).sort()).toEqual([
      ['ds-crdb-certs', '/cockroach/certs'],
      ['ds-crdb-data', '/cockroach/cockroach-data']
    ])
    expect(await report(`checks:report ${service}`)).toMatchObject({ 'disabled-list': '_all_' })
    expect(await report(`ps:report ${service}`)).toMatchObject({ 'computed-restart-policy': 'unless-stopped', deployed: 'true' })
    expect(await report(`proxy:report ${service}`)).toMatchObject({ enabled: 'false' })
    expect(await report(`network:report ${service}`)).toMatchObject({ 'attach-post-create': 'ds-crdb-net' })
    expect(await report(`network:report ${app}`)).toMatchObject({ 'attach-post-create': 'ds-crdb-net' })
    expect(await report(`apps:report ${service}`)).toMatchObject({ 'deploy-source': 'docker-image', 'deploy-source-metadata': 'cockroachdb/cockroach:v22.1.22' })

    // The app gets a Postgrex-style URL to the node's network alias, and its container runs with it.
    const url = `postgresql://ds_crdb:${node.COCKROACH_PASSWORD}@ds-crdb.web:26257/ds_crdb`
    expect(first.outputs.url).toBe(url)
    expect((await config(sandbox, app)).DATABASE_URL).toBe(url)
    expect((await liveEnv(sandbox, app)).DATABASE_URL).toBe(url)
    expect(await restarts(sandbox, app)).toBe(before + 1)
    expect(first.everything).not.toContain(node.COCKROACH_PASSWORD)
    expect(first.rawStdout).toContain(`::add-mask::${node.COCKROACH_PASSWORD}`)
  })

  it('changes and restarts nothing on a second run', async () => {
    const pids = [await containerPid(sandbox, app), await containerPid(sandbox, service)]
    const before = await restarts(sandbox, app)
    const again = await runService(inputs({ 'config-options': '--cache=.25 --max-sql-memory=.25', memory: '2048' }))
    expect(again.error).toBeUndefined()
    expect(again.outputs.changed).toBe('false')
    expect(changingCommands(again.log)).toEqual([])
    expect(again.outputs.url).toBe((await config(sandbox, app)).DATABASE_URL)
    expect([await containerPid(sandbox, app), await containerPid(sandbox, service)]).toEqual(pids)
    expect(await restarts(sandbox, app)).toBe(before)
  })

  it('applies a changed start flag with one restart of the node, and leaves the app alone', async () => {
    const appPid = await containerPid(sandbox, app)
    const changed = await runService(inputs({ 'config-options': '--cache=.35 --max-sql-memory=.25', memory: '2048' }))
    expect(changed.error).toBeUndefined()
    expect(changingCommands(changed.log)).toEqual(['config:set --encoded --no-restart ds-crdb COCKROACH_ARGS=***', 'ps:restart ds-crdb'])
    expect((await config(sandbox, service)).COCKROACH_ARGS).toBe('start-single-node --accept-sql-without-tls --cache=.35 --max-sql-memory=.25')
    expect(await containerPid(sandbox, app)).toBe(appPid)
  })

  it('reports another image instead of deploying it; upgrade: true deploys it', async () => {
    const opts = { 'config-options': '--cache=.35 --max-sql-memory=.25', memory: '2048', 'image-version': 'v22.1.21' }
    const reported = await runService(inputs(opts))
    expect(reported.outputs.changed).toBe('false')
    expect(reported.log).toContain('warning: ds-crdb runs cockroachdb/cockroach:v22.1.22, not cockroachdb/cockroach:v22.1.21: left as it is.')
    const upgraded = await runService(inputs({ ...opts, upgrade: 'true' }))
    expect(changingCommands(upgraded.log)).toEqual(['git:from-image ds-crdb cockroachdb/cockroach:v22.1.21'])
    expect(await report(`apps:report ${service}`)).toMatchObject({ 'deploy-source-metadata': 'cockroachdb/cockroach:v22.1.21' })
  })

  it('repairs a half-linked app: the URL is set again and the network kept', async () => {
    expect((await dokku(sandbox, `config:unset --no-restart ${app} DATABASE_URL`)).code).toBe(0)
    const before = await restarts(sandbox, app)
    const repaired = await runService(inputs({ 'config-options': '--cache=.35 --max-sql-memory=.25', memory: '2048', 'image-version': 'v22.1.21' }))
    expect(changingCommands(repaired.log)).toEqual(['config:set --encoded --no-restart ds-crdb-app DATABASE_URL=***', 'ps:restart ds-crdb-app'])
    expect(await restarts(sandbox, app)).toBe(before + 1)
  })

  it('refuses a mutable image tag before connecting', async () => {
    const latest = await runService({ ...inputs({ image: 'ghcr.io/v-sekai/cockroach', 'image-version': 'latest' }), 'ssh-port': '1' })
    expect(latest.error).toBeInstanceOf(ConfigurationError)
    expect(latest.error?.message).toContain('Input "image-version" must be an immutable tag')
  })

  it('destroys the node, its storage and the app link when asked twice', async () => {
    const destroyed = await runService(inputs({ destroy: 'true', 'confirm-destroy': service }))
    expect(destroyed.error).toBeUndefined()
    expect(changingCommands(destroyed.log)).toEqual([
      'config:unset --no-restart ds-crdb-app DATABASE_URL',
      'network:set ds-crdb-app attach-post-create',
      'ps:stop ds-crdb',
      'storage:unmount ds-crdb ds-crdb-data --container-dir /cockroach/cockroach-data',
      'storage:destroy ds-crdb-data --force --destroy-host-dir',
      'storage:unmount ds-crdb ds-crdb-certs --container-dir /cockroach/certs',
      'storage:destroy ds-crdb-certs --force --destroy-host-dir',
      'apps:destroy --force ds-crdb'
    ])
    expect((await dokku(sandbox, `apps:exists ${service}`)).code).toBe(20)
    expect((await config(sandbox, app)).DATABASE_URL).toBeUndefined()
    const again = await runService(inputs({ destroy: 'true', 'confirm-destroy': service }))
    expect(again.outputs.changed).toBe('false')
    expect(changingCommands(again.log)).toEqual([])
  })
})
