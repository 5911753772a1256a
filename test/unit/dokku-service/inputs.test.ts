import { describe, expect, it } from 'vitest'
import { readServiceInputs } from '../../../src/actions/dokku-service/inputs.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

function read(values: Record<string, string>) {
  return readServiceInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', ...values }))
}

function refusal(values: Record<string, string>): ConfigurationError {
  try {
    read(values)
  } catch (error) {
    if (error instanceof ConfigurationError) return error
    throw error
  }
  throw new Error('expected a ConfigurationError')
}

describe('readServiceInputs', () => {
  it('reads a postgres service linked to an app with the defaults', () => {
    const config = read({ engine: 'postgres', service: 'uro-db', app: 'uro' })
    expect(config).toMatchObject({ engine: 'postgres', service: 'uro-db', app: 'uro', alias: 'DATABASE', createApp: true, upgrade: false, destroy: false, installPlugins: false })
    expect(config.image).toBeUndefined()
    expect(config.imageVersion).toBeUndefined()
    expect(read({ engine: 'redis', service: 'cache' }).alias).toBe('REDIS')
  })

  it('caps the service name where its network alias would no longer be a DNS label, and refuses option-like config options', () => {
    expect(read({ engine: 'postgres', service: 's'.repeat(48) }).service).toBe('s'.repeat(48))
    expect(refusal({ engine: 'postgres', service: 's'.repeat(49) }).message).toContain('is 49 characters long; a service name has at most 48 (apps reach it as dokku-postgres-<name>, and a DNS label holds 63)')
    expect(refusal({ engine: 'postgres', service: 'uro-db', 'config-options': '-n' }).message).toMatch(/^Input "config-options" cannot be sent to Dokku as it is: .*echo, which would swallow "-n"/)
  })

  it('requires the engine and names the allowed ones', () => {
    expect(refusal({ service: 'db' }).message).toBe('Input "engine" is required and was not supplied. Set it to one of: postgres, redis, cockroach.')
    expect(refusal({ engine: 'mysql', service: 'db' }).message).toContain('must be one of postgres, redis, cockroach; got "mysql"')
  })

  it('refuses bad names before anything connects, naming the input, the value and a fix', () => {
    const dotted = refusal({ engine: 'postgres', service: 'd.erp' })
    expect(dotted.input).toBe('service')
    expect(dotted.message).toBe('Input "service" must be a service name (letters, digits, underscores and hyphens); got "d.erp". For example "d-erp".')
    expect(refusal({ engine: 'postgres', service: 'db', app: 'Uro_App' }).message).toContain('Input "app" must be a Dokku app name')
    for (const bad of ['Crdb', '1db', 'crdb.x', 'crdb_x']) expect(refusal({ engine: 'cockroach', service: bad }).message).toContain('Input "service" must be a lowercase name')
    expect(refusal({ engine: 'cockroach', service: 'root' }).message).toContain('reserved CockroachDB user')
    expect(refusal({ engine: 'cockroach', service: 'crdb', app: 'crdb' }).message).toContain('must not be the service itself')
  })

  it('deletes only when asked twice: destroy plus confirm-destroy naming the service', () => {
    expect(refusal({ engine: 'postgres', service: 'db', destroy: 'true' }).message).toBe(
      'Input "destroy" is true, which deletes postgres service db and its data. To confirm, also set confirm-destroy: db.'
    )
    expect(refusal({ engine: 'postgres', service: 'db', destroy: 'true', 'confirm-destroy': 'other' }).message).toBe(
      'Input "confirm-destroy" must name the service being destroyed (db); got "other". Nothing was deleted.'
    )
    expect(refusal({ engine: 'postgres', service: 'db', 'confirm-destroy': 'db' }).input).toBe('confirm-destroy')
    expect(refusal({ engine: 'postgres', service: 'db', destroy: 'yes', 'confirm-destroy': 'db' }).message).toContain('must be a boolean')
    expect(read({ engine: 'postgres', service: 'db', destroy: 'true', 'confirm-destroy': 'db' }).destroy).toBe(true)
  })

  it('gives cockroach an immutable image reference: the default, a tag other than latest, or a digest', () => {
    expect(read({ engine: 'cockroach', service: 'crdb' }).imageReference).toBe('cockroachdb/cockroach:v22.1.22')
    expect(read({ engine: 'cockroach', service: 'crdb', 'image-version': 'v22.1.20' }).imageReference).toBe('cockroachdb/cockroach:v22.1.20')
    const digest = `sha256:${'a'.repeat(64)}`
    expect(read({ engine: 'cockroach', service: 'crdb', image: `ghcr.io/v-sekai/cockroach@${digest}` }).imageReference).toBe(`ghcr.io/v-sekai/cockroach@${digest}`)
    expect(read({ engine: 'cockroach', service: 'crdb', image: 'ghcr.io/v-sekai/cockroach', 'image-version': '64b2168' }).imageReference).toBe('ghcr.io/v-sekai/cockroach:64b2168')
    expect(refusal({ engine: 'cockroach', service: 'crdb', image: 'ghcr.io/v-sekai/cockroach' }).message).toContain('Input "image-version" is required with image ghcr.io/v-sekai/cockroach')
    expect(refusal({ engine: 'cockroach', service: 'crdb', image: 'ghcr.io/v-sekai/cockroach', 'image-version': 'latest' }).message).toContain('"latest" moves')
    expect(refusal({ engine: 'cockroach', service: 'crdb', image: 'ghcr.io/v-sekai/cockroach:latest' }).message).toBe(
      'Input "image" must not carry a tag; got "ghcr.io/v-sekai/cockroach:latest". Put the tag in image-version: image: ghcr.io/v-sekai/cockroach, image-version: latest.'
    )
    expect(refusal({ engine: 'cockroach', service: 'crdb', image: `ghcr.io/v-sekai/cockroach@${digest}`, 'image-version': 'x' }).input).toBe('image-version')
    expect(read({ engine: 'cockroach', service: 'crdb', image: 'localhost:5000/crdb', 'image-version': 'v1' }).imageReference).toBe('localhost:5000/crdb:v1')
  })

  it('keeps postgres and redis images as repository plus tag, and wants a version to upgrade to', () => {
    expect(read({ engine: 'postgres', service: 'db', image: 'postgis/postgis', 'image-version': '17-3.5' })).toMatchObject({ image: 'postgis/postgis', imageVersion: '17-3.5' })
    expect(refusal({ engine: 'postgres', service: 'db', upgrade: 'true' }).message).toContain('Input "upgrade" is true but image-version is empty')
    expect(refusal({ engine: 'redis', service: 'c', 'image-version': '8 .0' }).input).toBe('image-version')
    expect(refusal({ engine: 'redis', service: 'c', image: `redis@sha256:${'a'.repeat(64)}` }).message).toContain('cannot carry a digest for redis')
  })

  it('normalises the link alias as the plugins do and checks the querystring', () => {
    expect(read({ engine: 'postgres', service: 'db', 'link-alias': 'blue_db_url' }).alias).toBe('BLUE_DB')
    expect(refusal({ engine: 'postgres', service: 'db', 'link-alias': 'my-db' }).input).toBe('link-alias')
    expect(read({ engine: 'postgres', service: 'db', querystring: '?pool_size=10&ssl=false' }).querystring).toBe('pool_size=10&ssl=false')
    expect(refusal({ engine: 'postgres', service: 'db', querystring: 'a=b c' }).input).toBe('querystring')
  })

  it('checks engine options where they apply', () => {
    expect(read({ engine: 'postgres', service: 'db', memory: '512', 'shm-size': '256m', 'custom-env': 'TZ=UTC\nLANG=C.UTF-8' })).toMatchObject({ memory: 512, shmSize: '256m' })
    expect(refusal({ engine: 'postgres', service: 'db', 'custom-env': 'A=b;c' }).message).toContain('contains ";" or a newline')
    expect(refusal({ engine: 'cockroach', service: 'crdb', 'shm-size': '1g' }).input).toBe('shm-size')
    expect(refusal({ engine: 'cockroach', service: 'crdb', 'custom-env': 'COCKROACH_PASSWORD=x' }).message).toContain('manages itself')
    expect(read({ engine: 'cockroach', service: 'crdb', 'config-options': '--cache=.25  --max-sql-memory=.25' }).configOptions).toBe('--cache=.25  --max-sql-memory=.25')
    expect(refusal({ engine: 'cockroach', service: 'crdb', 'config-options': "--locality='a b'" }).input).toBe('config-options')
    expect(refusal({ engine: 'cockroach', service: 'crdb', 'config-options': '--x=*' }).input).toBe('config-options')
    expect(refusal({ engine: 'postgres', service: 'db', memory: '12' }).message).toContain('from 16 to 1048576 MB')
  })
})
