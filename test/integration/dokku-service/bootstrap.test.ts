// Host bootstrap on a sandbox host of its own that starts without the postgres and redis plugins:
// the dokku user gets the exact install command, root installs the plugin itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { changingCommands, inputsFor, runService } from './helpers.ts'

let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await startSandbox({ plugins: [] })
}, 120_000)

afterAll(async () => {
  await sandbox?.stop()
}, 60_000)

describe('dokku-service: a host without the plugin', () => {
  it('fails over the dokku user with the exact command that installs the plugin, changing nothing', async () => {
    const missing = await runService(inputsFor(sandbox, { engine: 'postgres', service: 'boot-db', app: 'boot-app' }))
    expect(missing.error?.message).toBe(
      'The dokku-postgres plugin is not installed on the host, so there is no postgres service to provision. ' +
        'Install it as root on the host: `sudo dokku plugin:install https://github.com/dokku/dokku-postgres.git --committish 1.48.0 --name postgres` ' +
        '— or run this step with ssh-user: root and install-plugins: true.'
    )
    expect(missing.outputs).toEqual({})
    expect(changingCommands(missing.log)).toEqual([])
    expect((await sandbox.ssh('dokku', 'apps:exists boot-app')).code).toBe(20)

    const redis = await runService(inputsFor(sandbox, { engine: 'redis', service: 'boot-cache' }))
    expect(redis.error?.message).toContain('`sudo dokku plugin:install https://github.com/dokku/dokku-redis.git --committish 1.43.0 --name redis`')
  })

  it('says install-plugins needs root when it is asked of the dokku user', async () => {
    const refused = await runService(inputsFor(sandbox, { engine: 'postgres', service: 'boot-db', 'install-plugins': 'true' }))
    expect(refused.error?.message).toContain('install-plugins: true cannot install it over the dokku user (plugin:install must run as root). Set ssh-user: root')
  })

  it('installs the pinned plugin as root with install-plugins, provisions and links; a re-run changes nothing', async () => {
    const inputs = inputsFor(sandbox, { engine: 'postgres', service: 'boot-db', app: 'boot-app', 'install-plugins': 'true' }, 'root')
    const first = await runService(inputs)
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ service: 'boot-db', changed: 'true' })
    expect(changingCommands(first.log)).toEqual([
      'plugin:install https://github.com/dokku/dokku-postgres.git --committish 1.48.0 --name postgres',
      'postgres:create boot-db',
      'apps:create boot-app',
      'postgres:link boot-db boot-app --alias DATABASE --no-restart'
    ])
    expect(first.log).toContain('note: boot-app is not deployed yet: DATABASE_URL reaches it on its first deploy.')
    expect((await sandbox.ssh('dokku', 'plugin:list')).stdout).toMatch(/^ {2}postgres +1\.48\.0 enabled/m)
    expect((await sandbox.ssh('dokku', 'config:get boot-app DATABASE_URL')).stdout.trim()).toBe(first.outputs.url)

    const again = await runService(inputs)
    expect(again.error).toBeUndefined()
    expect(again.outputs.changed).toBe('false')
    expect(changingCommands(again.log)).toEqual([])
  })
})
