// The published schema (schema/dokku-stack.schema.json) is valid JSON Schema, describes every key
// for an editor, and states the same rules the action inputs apply: where a rule has one TS
// constant the pattern must be that constant's text; where it is a function, both must accept and
// refuse the same strings over the hostile corpus and the edge cases below.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { readCaddyInputs } from '../../../src/actions/caddy-config/inputs.ts'
import { readDeployInputs } from '../../../src/actions/dokku-deploy/inputs.ts'
import { ENGINES, readServiceInputs } from '../../../src/actions/dokku-service/inputs.ts'
import { readSeaweedInputs } from '../../../src/actions/seaweed-provision/inputs.ts'
import { checkDomain } from '../../../src/core/caddy/domain.ts'
import { APP_NAME, CONFIG_KEY, MAX_APP_NAME, MAX_SERVICE_NAME, SERVICE_NAME } from '../../../src/core/dokku/names.ts'
import { SEAWEED_DEFAULT_APP } from '../../../src/core/seaweed/recipe.ts'
import { bucketNameProblem } from '../../../src/core/s3/names.ts'
import { isTag, parseImageName, splitImageReference } from '../../../src/core/services/image.ts'
import { STACK_FILE_SCHEMA } from '../../../src/core/stack/file.ts'
import { repoRoot } from '../../support/actions.ts'
import { hostileCorpus } from '../../support/hostile.ts'
import { captureStdout, inputsFrom } from '../../support/inputs.ts'
import { testKeyInputs } from '../../support/keys.ts'

type SchemaNode = Record<string, unknown>
const schemaText = readFileSync(join(repoRoot, 'schema/dokku-stack.schema.json'), 'utf8')
const schema = JSON.parse(schemaText) as SchemaNode
const definitions = schema.definitions as Record<string, SchemaNode>

function ruleOf(name: string): (value: string) => boolean {
  const ajv = new Ajv({ strict: true })
  const check = ajv.compile({ ...definitions[name], $id: undefined, definitions: undefined })
  return (value) => check(value)
}

/** Every object schema in the file, with its pointer. */
function objectSchemas(node: unknown, pointer = '#'): { pointer: string; node: SchemaNode }[] {
  if (node === null || typeof node !== 'object') return []
  const found = (node as SchemaNode).type === 'object' ? [{ pointer, node: node as SchemaNode }] : []
  return [...found, ...Object.entries(node).flatMap(([key, value]) => objectSchemas(value, `${pointer}/${key}`))]
}

/** The hostile corpus without its longest strings (a 200 kB name tells nothing the 4 kB one does not), plus each string trimmed. */
const corpus = [
  ...new Set(
    hostileCorpus()
      .map((h) => h.value)
      .filter((v) => v.length <= 5000)
      .flatMap((v) => [v, v.trim()])
  )
]

describe('the stack file schema', () => {
  it('is the file the parser bundles, valid draft-07 that ajv compiles in strict mode', () => {
    expect(STACK_FILE_SCHEMA).toEqual(schema)
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(schema.$id).toBe('https://raw.githubusercontent.com/dokku-stack/dokku-stack/v1/schema/dokku-stack.schema.json')
    const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true })
    expect(ajv.validateSchema(schema)).toBe(true)
    expect(() => ajv.compile(schema)).not.toThrow()
  })

  it('closes every object with fixed keys, and names every map key by a rule', () => {
    const objects = objectSchemas(schema)
    expect(objects.length).toBeGreaterThan(10)
    for (const { pointer, node } of objects) {
      if (node.properties) expect(node.additionalProperties, pointer).toBe(false)
      else {
        // A map (services, apps, config, access): its keys have a rule and its values a schema.
        expect(node.propertyNames, pointer).toBeDefined()
        expect(typeof node.additionalProperties, pointer).toBe('object')
      }
    }
  })

  it('gives every property a title and a description that ends with an example, for the editor to show', () => {
    const properties: { pointer: string; node: SchemaNode }[] = []
    for (const { pointer, node } of objectSchemas(schema))
      for (const [key, value] of Object.entries((node.properties as Record<string, SchemaNode> | undefined) ?? {})) properties.push({ pointer: `${pointer}/properties/${key}`, node: value })
    for (const [name, node] of Object.entries(definitions)) if (node.type === 'string') properties.push({ pointer: `#/definitions/${name}`, node })
    expect(properties.length).toBeGreaterThan(30)
    for (const { pointer, node } of properties) {
      expect(typeof node.title, pointer).toBe('string')
      expect(node.description, pointer).toMatch(/\S+.* Example: \S/s)
    }
  })

  it('takes the name rules from the input readers: one source each', () => {
    expect(definitions.appName?.pattern).toBe(APP_NAME.source)
    expect(definitions.appName?.maxLength).toBe(MAX_APP_NAME)
    expect(definitions.serviceName?.pattern).toBe(SERVICE_NAME.source)
    expect(definitions.serviceName?.maxLength).toBe(MAX_SERVICE_NAME)
    expect(definitions.configKey?.pattern).toBe(CONFIG_KEY.source)
    const service = definitions.service?.properties as Record<string, SchemaNode>
    expect(service.engine?.enum).toEqual([...ENGINES])
    const store = definitions.objectStore?.properties as Record<string, SchemaNode>
    expect(store.app?.default).toBe(SEAWEED_DEFAULT_APP)
  })

  const bucketEdges = ['abc', 'ab', 'a'.repeat(63), 'a'.repeat(64), 'uro-uploads', 'uro..uploads', 'uro.uploads', '192.168.0.1', '192.168.0.1a', 'xn--abc', 'sthree-x', 'amzn-s3-demo-x', 'a-s3alias', 'a--ol-s3', 'a.mrap', 'a--x-s3', 'a--table-s3', '-abc', 'abc-', 'Abc', 'a_b']
  it('accepts exactly the bucket names seaweed-provision accepts', () => {
    const schemaAccepts = ruleOf('bucketName')
    const values = [...bucketEdges, ...corpus]
    const disagreements = values.filter((v) => schemaAccepts(v) !== (bucketNameProblem(v) === undefined))
    expect(disagreements).toEqual([])
    expect(values.filter(schemaAccepts).length).toBeGreaterThan(10)
  })

  const domainEdges = ['uro.example.org', 'example', 'a.b', '1.2.3.4', '1.2.3.4a', 'a.123', '*.example.org', '*.org', 'a.*.org', 'Uro.example.org', 'uro.example.org.', '-a.example.org', 'a-.example.org', `${'a'.repeat(63)}.org`, `${'a'.repeat(64)}.org`, `${'a.'.repeat(126)}org`, `${'a.'.repeat(127)}org`, `*.${'a.'.repeat(125)}org`, '[::1]', 'https://uro.example.org', 'uro.example.org:443', 'uro.example.org/x', 'xn--bcher-kva.example']
  it('accepts exactly the domains caddy-config accepts in the form it keeps them (lower case, no final dot)', () => {
    const schemaAccepts = ruleOf('domain')
    const caddyKeeps = (value: string): boolean => {
      try {
        return checkDomain('domains', value, 'internal') === value
      } catch {
        return false
      }
    }
    const values = [...domainEdges, ...corpus]
    expect(values.filter((v) => schemaAccepts(v) !== caddyKeeps(v))).toEqual([])
    expect(values.filter(schemaAccepts).length).toBeGreaterThan(10)
  })

  const imageEdges = ['postgres:18.4', 'postgres', 'postgres:', 'ghcr.io/v-sekai/cockroach:v22.1', 'localhost:5000/a/b:1', `chrislusf/seaweedfs:4.48@sha256:${'a'.repeat(64)}`, `postgres@sha256:${'a'.repeat(64)}`, 'Postgres:1', 'postgres:-1', `postgres:${'a'.repeat(129)}`, 'a__b:1', 'a___b:1', 'a--b:1', 'registry:5000/x:1']
  it('accepts exactly the tagged images the service inputs accept (repository, tag, optional digest)', () => {
    const schemaAccepts = ruleOf('taggedImage')
    const serviceAccepts = (value: string): boolean => {
      const [name = '', digest, extra] = value.split('@')
      if (extra !== undefined) return false
      const { repository, tag } = splitImageReference(name)
      if (tag === '' || !isTag(tag)) return false
      return parseImageName(digest === undefined ? repository : `${repository}@${digest}`) !== undefined
    }
    const values = [...imageEdges, ...corpus]
    expect(values.filter((v) => schemaAccepts(v) !== serviceAccepts(v))).toEqual([])
    expect(values.filter(schemaAccepts).length).toBeGreaterThan(4)
  })

  // The rules below live inside the action readers (not exported): checked through the readers themselves.
  const inline = (pointer: string): ((value: string) => boolean) => {
    let node: unknown = schema
    for (const part of pointer.split('/')) node = (node as SchemaNode)[part]
    const check = new Ajv({ strict: true }).compile({ ...(node as SchemaNode), $ref: undefined, default: undefined })
    return (value) => check(value)
  }
  const accepted = (read: () => unknown): boolean => {
    try {
      captureStdout(() => read())
      return true
    } catch {
      return false
    }
  }
  // The readers trim their inputs and refuse NUL for every input: compare on what they can receive.
  const readable = corpus.filter((v) => v === v.trim() && v !== '' && !v.includes('\0') && !/[\r\n]/.test(v))

  it('accepts exactly the Let\'s Encrypt emails and health paths caddy-config accepts', () => {
    const key = testKeyInputs()
    const emails = ['ops@example.org', 'ops@example', 'a+b@x.y', '@x.y', 'ops@-x.y', ...readable]
    const email = ruleOf('email')
    expect(emails.filter((v) => email(v) !== accepted(() => readCaddyInputs(inputsFrom({ ...key, host: 'dokku.example.com', 'letsencrypt-email': v })))).slice(0, 5)).toEqual([])
    const paths = ['/health', 'health', '/', '/a b', '/a?b=c', '//x', ...readable]
    const path = inline('definitions/app/properties/healthcheck/properties/path')
    const withApp = { ...key, host: 'dokku.example.com', app: 'uro', domains: 'uro.example.org', port: '4000' }
    expect(paths.filter((v) => path(v) !== accepted(() => readCaddyInputs(inputsFrom({ ...withApp, 'health-path': v })))).slice(0, 5)).toEqual([])
  })

  it('accepts exactly the deploy branches dokku-deploy accepts', () => {
    const branch = inline('definitions/gitDeploy/properties/branch')
    const base = { host: 'dokku.example.com', ...testKeyInputs(), app: 'uro', ref: 'HEAD' }
    const event = { eventName: 'push', sha: undefined, pullRequest: undefined, workspace: '/tmp' }
    const values = ['main', 'release/1.0', '-x', 'a..b', 'a/', 'a.lock', 'a.lockx', 'a b', ...readable]
    expect(values.filter((v) => branch(v) !== accepted(() => readDeployInputs(inputsFrom({ ...base, branch: v }), event))).slice(0, 5)).toEqual([])
  })

  it('accepts exactly the regions seaweed-provision accepts, and the memory limits dokku-service accepts', () => {
    const key = testKeyInputs()
    const region = inline('definitions/objectStore/properties/region')
    const regions = ['us-east-1', 'a'.repeat(32), 'a'.repeat(33), 'US', ...readable]
    expect(
      regions.filter((v) => region(v) !== accepted(() => readSeaweedInputs(inputsFrom({ ...key, host: 'dokku.example.com', endpoint: 'http://127.0.0.1:9000', region: v })))).slice(0, 5)
    ).toEqual([])
    const memory = definitions.service?.properties as Record<string, SchemaNode>
    const { minimum, maximum } = memory.memory as { minimum: number; maximum: number }
    const serviceAccepts = (mb: number) => accepted(() => readServiceInputs(inputsFrom({ ...key, host: 'dokku.example.com', engine: 'postgres', service: 'db', memory: String(mb) })))
    expect([minimum - 1, minimum, maximum, maximum + 1].map(serviceAccepts)).toEqual([false, true, true, false])
  })
})
