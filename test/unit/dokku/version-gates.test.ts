// The forms the client sends where real Dokku changed a command at a version boundary (issue 13,
// checked against the dokku tags). Each test names the versions on both sides of the boundary; the
// executor records what would be sent and answers exit 0, so nothing here depends on a host.
import { describe, expect, it } from 'vitest'
import { DokkuClient } from '../../../src/core/dokku/client.js'
import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../../../src/core/dokku/errors.js'
import { configuredDeployBranch, GLOBAL } from '../../../src/core/dokku/forms.js'
import { featuresOf, toVersion, type VersionString } from '../../../src/core/dokku/version.js'
import { RecordingLogger } from '../../../src/core/log.js'
import type { RemoteExecutor } from '../../../src/core/ssh/types.js'

function recording(version: VersionString): { client: DokkuClient; sent: string[][] } {
  const sent: string[][] = []
  const executor: RemoteExecutor = {
    shell: 'dokku-forced-command',
    run: (argv) => {
      sent.push([...argv])
      return Promise.resolve({ code: 0, signal: null, stdout: '', stderr: '' })
    },
    exec: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve()
  }
  return { client: new DokkuClient(executor, new RecordingLogger(), toVersion(version)), sent }
}

describe('storage:destroy --force exists from Dokku 0.38.10', () => {
  it('Dokku 0.38.9: sends storage:destroy without --force (pflag would exit 2 "unknown flag: --force")', async () => {
    const { client, sent } = recording('0.38.9')
    expect(await client.storage.destroy('data', { destroyHostDir: true })).toEqual({ changed: true, hostDirRemoved: false })
    expect(sent).toEqual([['storage:destroy', 'data']])
  })

  it('Dokku 0.38.10 sends --force; Dokku 0.38.27 adds --destroy-host-dir', async () => {
    const at10 = recording('0.38.10')
    await at10.client.storage.destroy('data', { destroyHostDir: true })
    expect(at10.sent).toEqual([['storage:destroy', 'data', '--force']])
    const at27 = recording('0.38.27')
    await at27.client.storage.destroy('data', { destroyHostDir: true })
    expect(at27.sent).toEqual([['storage:destroy', 'data', '--force', '--destroy-host-dir']])
  })
})

describe('proxy:set key form exists from Dokku 0.38.0', () => {
  it('Dokku 0.37.5: sets the proxy type with the two-word form and refuses the other keys before sending', async () => {
    const { client, sent } = recording('0.37.5')
    await client.proxy.set('web', 'type', 'caddy')
    await client.proxy.set(GLOBAL, 'type', 'caddy')
    expect(sent).toEqual([
      ['proxy:set', 'web', 'caddy'],
      ['proxy:set', '--global', 'caddy']
    ])
    await expect(client.proxy.set('web', 'proxy-port', '8080')).rejects.toThrow(DokkuFeatureUnavailableError)
    await expect(client.proxy.set('web', 'type')).rejects.toThrow(/Unsetting the proxy type.*0\.38\.0/)
    expect(sent).toHaveLength(2)
  })

  it('Dokku 0.38.0: sends the key form', async () => {
    const { client, sent } = recording('0.38.0')
    await client.proxy.set('web', 'type', 'caddy')
    await client.proxy.set('web', 'proxy-port', '8080')
    expect(sent).toEqual([
      ['proxy:set', 'web', 'type', 'caddy'],
      ['proxy:set', 'web', 'proxy-port', '8080']
    ])
  })
})

describe('git:report deploy-branch is raw from Dokku 0.38.4', () => {
  const read = (version: VersionString, report: Record<string, string>) => configuredDeployBranch(report, featuresOf(toVersion(version)))

  it('Dokku 0.37.5 and 0.38.3: "master" means master or unset; it is taken only when the global branch is master as well', () => {
    for (const version of ['0.37.5', '0.38.3'] as const) {
      expect(read(version, { 'deploy-branch': 'master', 'global-deploy-branch': 'master' })).toBe('master')
      expect(read(version, { 'deploy-branch': 'master', 'global-deploy-branch': 'main' })).toBeUndefined()
      expect(read(version, { 'deploy-branch': 'main', 'global-deploy-branch': 'other' })).toBe('main')
    }
  })

  it('Dokku 0.38.4 and 0.38.27: the raw value, empty when unset', () => {
    for (const version of ['0.38.4', '0.38.27'] as const) {
      expect(read(version, { 'deploy-branch': 'master', 'global-deploy-branch': 'main' })).toBe('master')
      expect(read(version, { 'deploy-branch': '', 'computed-deploy-branch': 'main', 'global-deploy-branch': 'main' })).toBeUndefined()
    }
  })
})

describe('git:set archive-max-* exists from Dokku 0.38.2', () => {
  it('Dokku 0.38.1: refuses archive-max-size and archive-max-files before sending', async () => {
    const { client, sent } = recording('0.38.1')
    await expect(client.git.set(GLOBAL, 'archive-max-size', '1000')).rejects.toThrow(/archive-max-size.*0\.38\.2/)
    await expect(client.git.set('web', 'archive-max-files', '10')).rejects.toThrow(DokkuFeatureUnavailableError)
    await client.git.set('web', 'deploy-branch', 'main')
    expect(sent).toEqual([['git:set', 'web', 'deploy-branch', 'main']])
  })

  it('Dokku 0.38.2: sends them', async () => {
    const { client, sent } = recording('0.38.2')
    await client.git.set(GLOBAL, 'archive-max-size', '1000')
    expect(sent).toEqual([['git:set', '--global', 'archive-max-size', '1000']])
  })
})

describe('enter --container-id drops the id when a command follows (Dokku 0.37.5 and 0.38.27)', () => {
  it('Dokku 0.37.5 and 0.38.27: refuses a container id with a command before sending, and still enters by process type', async () => {
    for (const version of ['0.37.5', '0.38.27'] as const) {
      const { client, sent } = recording(version)
      await expect(client.enter('web', { containerId: 'abc123' }, ['ls'])).rejects.toThrow(DokkuArgumentError)
      await expect(client.enter('web', { containerId: 'abc123' }, ['ls'])).rejects.toThrow(/process type and index/)
      expect(sent).toEqual([])
      await client.enter('web', { processType: 'web', index: 1 }, ['ls'])
      expect(sent).toEqual([['enter', 'web', 'web.1', 'ls']])
    }
  })
})
