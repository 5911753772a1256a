import { describe, expect, it } from 'vitest'
import { readStackInputs } from '../../../src/actions/stack/inputs.js'
import { stackResources } from '../../../src/actions/stack/resources.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { InputReader } from '../../../src/core/inputs/readers.js'
import { redact } from '../../../src/core/secrets.js'
import type { AppSpec, StackFile, StackSpec } from '../../../src/core/stack/model.js'
import { captureStdout, inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const inputs: InputReader = inputsFrom({ host: 'dokku.example.org', ...testKeyInputs() })
const context = { eventName: 'push', sha: 'a'.repeat(40), repository: undefined, pullRequest: undefined, workspace: '/tmp', runUrl: undefined, apiUrl: 'http://127.0.0.1:9' }

function app(extra: Partial<AppSpec> = {}): AppSpec {
  return { services: ['uro-db'], config: { URL: 'https://uro.example.org/' }, secrets: ['PHOENIX_KEY_BASE'], domains: [], storage: [], ...extra }
}

/** A stack file built in code; every path is on line 7 (a real parser knows better). */
function file(spec: Partial<StackSpec> = {}): StackFile {
  return { spec: { version: 1, services: { 'uro-db': { engine: 'postgres' } }, apps: { uro: app() }, ...spec }, locate: () => ({ file: 'dokku-stack.yml', line: 7, column: 1 }) }
}

/** Reads the stack; what it prints (::add-mask:: commands) is captured, not shown. */
function resources(stack: StackFile, env: Record<string, string> = { PHOENIX_KEY_BASE: 'kb-value-never-shown' }): ReturnType<typeof stackResources> {
  let read: ReturnType<typeof stackResources> | undefined
  captureStdout(() => (read = stackResources(stack, readStackInputs(inputs), inputs, context, env)))
  return read as ReturnType<typeof stackResources>
}

function refusal(fn: () => unknown): ConfigurationError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigurationError) return error
    throw error
  }
  throw new Error('expected a ConfigurationError')
}

describe('stackResources', () => {
  it('reads each resource through its own action: the service, its link into the app, the app request', () => {
    const read = resources(file())
    expect(read.services.map((s) => [s.engine, s.service, s.app])).toEqual([['postgres', 'uro-db', undefined]])
    expect(read.apps[0]?.links.map((l) => [l.service, l.app, l.createApp])).toEqual([['uro-db', 'uro', true]])
    expect(read.apps[0]?.request).toMatchObject({ app: 'uro', config: { URL: 'https://uro.example.org/' }, secrets: { PHOENIX_KEY_BASE: 'kb-value-never-shown' } })
    expect([...read.ownedApps]).toEqual(['uro'])
  })

  it('masks each secret as it is read, and a plain value whose key names a credential', () => {
    resources(file({ apps: { uro: app({ config: { API_TOKEN: 'typed-into-the-file', URL: 'https://public.example/' } }) } }), { PHOENIX_KEY_BASE: 'kb-masked-secret-value' })
    expect(redact('x kb-masked-secret-value y typed-into-the-file')).toBe('x *** y ***')
    expect(redact('https://public.example/')).toBe('https://public.example/')
  })

  it('refuses a secret missing from the environment, naming the variable and the line', () => {
    const error = refusal(() => resources(file(), {}))
    expect(error.message).toBe(
      'dokku-stack.yml:7 (apps.uro.secrets.0) lists the secret PHOENIX_KEY_BASE, but the step\'s environment has no variable PHOENIX_KEY_BASE. Pass it to the step: env: { PHOENIX_KEY_BASE: ${{ secrets.PHOENIX_KEY_BASE }} }.'
    )
    expect(error.input).toBe('stack-file')
  })

  it('moves an action reader\'s refusal to the line of the file', () => {
    const error = refusal(() => resources(file({ apps: { uro: app({ domains: ['uro.example.org'] }) } })))
    expect(error.message).toMatch(/^dokku-stack\.yml:7 \(apps\.uro\.domains\): Input "port" is required with an app/)
  })

  it('refuses a link to a service the file does not define, storage that is not named storage, and mixed access levels', () => {
    expect(refusal(() => resources(file({ apps: { uro: app({ services: ['nope'] }) } }))).message).toContain('links service nope, which is not under services')
    expect(refusal(() => resources(file({ apps: { uro: app({ storage: [{ source: '/srv/x', target: '/app/x' }] }) } }))).message).toContain('host paths are not supported yet')
    const mixed = file({ objectStore: { app: 'seaweedfs', buckets: ['a', 'b'], access: { uro: { a: 'read', b: 'readwrite' } }, domain: 's3.example.org' } })
    expect(refusal(() => resources(mixed)).message).toContain('different access levels per bucket')
  })

  it('needs a way for the runner to reach the object store', () => {
    const store = file({ objectStore: { app: 'seaweedfs', buckets: ['uro-uploads'], access: { uro: { 'uro-uploads': 'readwrite' } } } })
    expect(refusal(() => resources(store)).message).toContain('input "object-store-endpoint" is empty')
    const routed = file({ objectStore: { app: 'seaweedfs', buckets: ['uro-uploads'], access: { uro: { 'uro-uploads': 'readwrite' } }, domain: 's3.example.org' } })
    expect(resources(routed).objectStore?.endpoint).toBe('https://s3.example.org')
    expect([...resources(routed).ownedApps]).toEqual(['uro', 'seaweedfs'])
  })
})
