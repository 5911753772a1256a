import { describe, expect, it } from 'vitest'
import { DokkuClient } from '../../../src/core/dokku/client.js'
import { DokkuArgumentError, DokkuFeatureUnavailableError, RootRequiredError } from '../../../src/core/dokku/errors.js'
import { GLOBAL } from '../../../src/core/dokku/forms.js'
import { toVersion, type VersionString } from '../../../src/core/dokku/version.js'
import { RecordingLogger } from '../../../src/core/log.js'
import type { RemoteExecutor, RemoteShell } from '../../../src/core/ssh/types.js'

// These tests cover refusals the client makes before anything is sent; the executor fails the
// test if it is reached. What a host answers is covered by the integration tests.
function neverCalled(shell: RemoteShell): RemoteExecutor {
  const fail = () => Promise.reject(new Error('no command may be sent in this test'))
  return { shell, run: fail, exec: fail, close: () => Promise.resolve() }
}

const client = (version: VersionString = '0.38.27', shell: RemoteShell = 'dokku-forced-command') => new DokkuClient(neverCalled(shell), new RecordingLogger(), toVersion(version))

describe('refused before sending', () => {
  it('root-only plugin commands over the dokku user (docs/dokku-contract.md#root-and-sudo)', async () => {
    await expect(client().plugins.install('https://github.com/dokku/dokku-postgres.git')).rejects.toThrow(RootRequiredError)
    await expect(client().plugins.install('https://github.com/dokku/dokku-postgres.git')).rejects.toThrow(/must run as root.*ssh-user: root/)
  })

  it('invalid names and keys', async () => {
    await expect(client().apps.create('My_App')).rejects.toThrow(DokkuArgumentError)
    await expect(client().config.unset('web', ['foo-bar'])).rejects.toThrow(DokkuArgumentError)
    await expect(client().postgres.exists('d.erp')).rejects.toThrow(DokkuArgumentError)
    await expect(client().postgres.link('db', 'web', { alias: 'blue db' })).rejects.toThrow(DokkuArgumentError)
    await expect(client().network.create('-bad')).rejects.toThrow(DokkuArgumentError)
  })

  it('commands and forms the host version does not have', async () => {
    await expect(client('0.36.9').caddy.addLabel('web', 'caddy.tls', 'internal')).rejects.toThrow(DokkuFeatureUnavailableError)
    await expect(client('0.37.9').builds.cancel('web')).rejects.toThrow(DokkuFeatureUnavailableError)
    await expect(client('0.36.0').config.import('web', { A: '1' })).rejects.toThrow(/config:import.*0\.37\.0/)
    await expect(client('0.38.5').caddy.report(GLOBAL)).rejects.toThrow(DokkuFeatureUnavailableError)
    await expect(client('0.37.0').resource.limit('web', { memory: '1g' }, { processType: 'build' })).rejects.toThrow(DokkuFeatureUnavailableError)
  })

  it('global-only caddy keys for an app', async () => {
    await expect(client().caddy.set('web', 'letsencrypt-email', 'ops@example.com')).rejects.toThrow(/only be set globally/)
  })

  it('requests that do nothing are not sent', async () => {
    await expect(client().config.set('web', {})).resolves.toEqual({ changed: false, reason: 'up-to-date' })
    await expect(client().config.unset('web', [])).resolves.toEqual({ changed: false, reason: 'up-to-date' })
  })

  it('an enter without a command', async () => {
    await expect(client().enter('web', { processType: 'web' }, [])).rejects.toThrow(/needs a command/)
  })
})

describe('the client knows its host', () => {
  it('exposes the version and the features decided from it', () => {
    const dokku = client('0.38.21')
    expect(dokku.version.raw).toBe('0.38.21')
    expect(dokku.features.appsListJson).toBe(true)
    expect(dokku.features.pluginListJson).toBe(false)
  })
})
