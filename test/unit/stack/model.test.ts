// Keeps the published schema and model.ts in step, both ways:
// - schema → model: a file that sets every property the schema has (checked against the schema's
//   own list) parses to a spec where each of those values arrived, under its camelCase name;
// - model → schema: the expected spec is typed `Complete<StackSpec>` (every optional field
//   required), so a field added to model.ts fails the typecheck here until the file, the schema and
//   the parser give it a value.
import { describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { parseStackFile, STACK_FILE_SCHEMA } from '../../../src/core/stack/file.ts'
import type { StackSpec } from '../../../src/core/stack/model.ts'

type Complete<T> = T extends readonly (infer U)[] ? Complete<U>[] : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T

const DIGEST = `sha256:${'4'.repeat(64)}`

const EVERYTHING = `version: 1
services:
  uro-db: { engine: cockroach, image: "ghcr.io/v-sekai/cockroach:v22.1", memory: 2048 }
object-store:
  app: s3
  image: "chrislusf/seaweedfs:4.48@${DIGEST}"
  buckets: [uro-uploads]
  access: { uro: { uro-uploads: readwrite } }
  domain: s3.example.org
  region: eu-west-1
proxy: { letsencrypt-email: ops@example.org, tls: internal }
apps:
  uro:
    services: [uro-db]
    config: { URL: "https://uro.example.org/" }
    secrets: [PHOENIX_KEY_BASE]
    domains: [uro.example.org]
    port: 4000
    storage: ["uploads:/app/uploads"]
    healthcheck: { path: /health }
    deploy: { source: git, branch: release }
  uro-image:
    services: [uro-db]
    config: { URL: "https://image.example.org/" }
    secrets: [JOKEN_SIGNER]
    domains: [image.example.org]
    port: 4001
    storage: ["/srv/uploads:/app/uploads"]
    healthcheck: { path: /ready }
    deploy: { image: "ghcr.io/v-sekai/uro@${DIGEST}" }
`

const expected: Complete<StackSpec> = {
  version: 1,
  services: { 'uro-db': { engine: 'cockroach', image: 'ghcr.io/v-sekai/cockroach:v22.1', memory: 2048 } },
  objectStore: {
    app: 's3',
    image: `chrislusf/seaweedfs:4.48@${DIGEST}`,
    buckets: ['uro-uploads'],
    access: { uro: { 'uro-uploads': 'readwrite' } },
    domain: 's3.example.org',
    region: 'eu-west-1'
  },
  proxy: { letsencryptEmail: 'ops@example.org', tls: 'internal' },
  apps: {
    uro: {
      services: ['uro-db'],
      config: { URL: 'https://uro.example.org/' },
      secrets: ['PHOENIX_KEY_BASE'],
      domains: ['uro.example.org'],
      port: 4000,
      storage: [{ source: 'uploads', target: '/app/uploads' }],
      healthcheck: { path: '/health' },
      deploy: { source: 'git', branch: 'release' }
    },
    'uro-image': {
      services: ['uro-db'],
      config: { URL: 'https://image.example.org/' },
      secrets: ['JOKEN_SIGNER'],
      domains: ['image.example.org'],
      port: 4001,
      storage: [{ source: '/srv/uploads', target: '/app/uploads' }],
      healthcheck: { path: '/ready' },
      deploy: { image: `ghcr.io/v-sekai/uro@${DIGEST}` }
    }
  }
}

type SchemaNode = Record<string, unknown>
const root = STACK_FILE_SCHEMA as SchemaNode

function resolve(node: SchemaNode): SchemaNode {
  if (typeof node.$ref !== 'string') return node
  let target: unknown = root
  for (const part of node.$ref.replace(/^#\//, '').split('/')) target = (target as SchemaNode)[part]
  return { ...node, ...resolve(target as SchemaNode), $ref: undefined }
}

/** Every property the schema defines, as `apps.*.deploy.branch` (`*` a map key, `[]` a list item). */
function schemaProperties(node: SchemaNode, path: string, into: Set<string>): Set<string> {
  const schema = resolve(node)
  for (const branch of (schema.oneOf as SchemaNode[] | undefined) ?? []) schemaProperties(branch, path, into)
  for (const [key, child] of Object.entries((schema.properties as Record<string, SchemaNode> | undefined) ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`
    into.add(childPath)
    schemaProperties(child, childPath, into)
  }
  if (typeof schema.additionalProperties === 'object') schemaProperties(schema.additionalProperties as SchemaNode, `${path}.*`, into)
  if (typeof schema.items === 'object') schemaProperties(schema.items as SchemaNode, `${path}[]`, into)
  return into
}

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/**
 * Walks the file's data beside the schema and the parsed spec: each schema property the file sets
 * is recorded, and its value must be in the spec under the camelCase name with the same content.
 */
function compare(node: SchemaNode, data: unknown, spec: unknown, path: string, seen: Set<string>): void {
  const schema = resolve(node)
  const oneOf = schema.oneOf as SchemaNode[] | undefined
  if (oneOf) {
    const meant = oneOf.map(resolve).filter((branch) => ((branch.required as string[]) ?? []).every((key) => key in (data as object)))
    expect(meant, path).toHaveLength(1)
    compare(meant[0] as SchemaNode, data, spec, path, seen)
    return
  }
  const properties = schema.properties as Record<string, SchemaNode> | undefined
  if (properties) {
    for (const [key, value] of Object.entries(data as SchemaNode)) {
      const childPath = path === '' ? key : `${path}.${key}`
      seen.add(childPath)
      const specValue = (spec as SchemaNode)[camel(key)]
      expect(specValue, `${childPath} → ${camel(key)}`).toBeDefined()
      compare(properties[key] as SchemaNode, value, specValue, childPath, seen)
    }
    return
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const [key, value] of Object.entries(data as SchemaNode)) compare(schema.additionalProperties as SchemaNode, value, (spec as SchemaNode)[key], `${path}.*`, seen)
    return
  }
  if (typeof schema.items === 'object') {
    ;(data as unknown[]).forEach((item, i) => compare(schema.items as SchemaNode, item, (spec as unknown[])[i], `${path}[]`, seen))
    return
  }
  // A leaf: the same value, or (a storage mount) the same text in its parts.
  if (typeof spec === 'object' && spec !== null) expect(Object.values(spec).join(':'), path).toBe(data)
  else expect(spec, path).toBe(data)
}

describe('the schema and model.ts', () => {
  it('a file with every property parses to a complete spec', () => {
    expect(parseStackFile(EVERYTHING, 'dokku-stack.yml').spec).toStrictEqual(expected)
  })

  it('every property of the schema is set by that file and arrives in the spec under its model name', () => {
    const all = schemaProperties(root, '', new Set())
    expect(all.size).toBeGreaterThan(25)
    const seen = new Set<string>()
    compare(root, parseDocument(EVERYTHING).toJS(), parseStackFile(EVERYTHING, 'dokku-stack.yml').spec, '', seen)
    expect([...all].filter((property) => !seen.has(property))).toEqual([])
    expect([...seen].filter((property) => !all.has(property))).toEqual([])
  })
})
