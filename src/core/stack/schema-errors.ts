// Turns ajv's errors into sentences a person can act on. The words come from the schema itself —
// each rule's title and description, the same text an editor shows next to the key — so a rule is
// described in one place; only the sentence shapes live here.
import type { ErrorObject } from 'ajv'
import type { StackPath } from './model.js'
import { closest, isUnderSecrets, showValue, type SourceMap } from './source.js'

type SchemaNode = Record<string, unknown>

/** Every subschema object → its JSON pointer in the schema (`definitions/app/properties/port`). */
export type SchemaIndex = Map<object, string>

export function indexSchema(schema: unknown): SchemaIndex {
  const index: SchemaIndex = new Map()
  const walk = (node: unknown, pointer: string): void => {
    if (node === null || typeof node !== 'object') return
    index.set(node, pointer)
    for (const [key, value] of Object.entries(node)) walk(value, pointer === '' ? key : `${pointer}/${key}`)
  }
  walk(schema, '')
  return index
}

export interface DescribedError {
  path: (string | number)[]
  /** The problem is the key itself (a bad name, an unknown key), not its value. */
  onKey: boolean
  message: string
}

const CONFIG_VALUE = 'definitions/app/properties/config/additionalProperties'
const SECRETS = 'definitions/app/properties/secrets'

export function describeSchemaErrors(root: unknown, index: SchemaIndex, errors: readonly ErrorObject[], data: unknown, source: SourceMap): DescribedError[] {
  const described: DescribedError[] = []
  const located = errors.map((error) => ({ error, path: instancePath(error.instancePath, data) }))
  const dropped = new Set<ErrorObject>()

  // A `oneOf` (an app's deploy): report the branch the user evidently meant, not both.
  for (const { error, path } of located) {
    if (error.keyword !== 'oneOf') continue
    dropped.add(error)
    const value = valueAt(data, path)
    const branches = (error.schema as { $ref: string }[]).map((branch) => resolve(root, branch.$ref))
    const under = (p: StackPath) => p.length >= path.length && path.every((segment, i) => p[i] === segment)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      for (const other of located) if (under(other.path)) dropped.add(other.error)
      const subject = value === null || typeof value === 'object' ? 'this' : source.shown(path, value)
      described.push({ path, onKey: false, message: `${subject} is ${kind(value)}, not a mapping (key: value) — e.g. ${example(error.parentSchema as SchemaNode)}` })
      continue
    }
    const meant = branches.filter((branch) => ((branch.required as string[]) ?? []).every((key) => key in value))
    if (meant.length === 1) {
      const others = branches.filter((b) => b !== meant[0]).map((b) => index.get(b) as string)
      for (const other of located)
        if (under(other.path) && others.some((pointer) => (index.get(other.error.parentSchema as object) ?? '').startsWith(pointer))) dropped.add(other.error)
      continue
    }
    for (const other of located) if (under(other.path)) dropped.add(other.error)
    const keys = branches.map((b) => ((b.required as string[]) ?? []).join(' and '))
    described.push({
      path,
      onKey: false,
      message: `has ${meant.length === 0 ? `neither ${keys.join(' nor ')}` : `both ${keys.join(' and ')}`} — use exactly one: ${branches.map((b) => example(b)).join(', or ')}`
    })
  }

  for (const { error, path } of located) {
    if (dropped.has(error) || error.keyword === 'propertyNames') continue
    const rule = error.parentSchema as SchemaNode
    const pointer = index.get(rule) ?? ''
    if (error.propertyName !== undefined) {
      const keyPath = [...path, error.propertyName]
      described.push({ path: keyPath, onKey: true, message: `${showValue(error.propertyName)} ${ruleBroken(rule)}` })
      continue
    }
    const value = valueAt(data, path)
    const secret = isUnderSecrets(path)
    const shown = secret ? 'this entry' : source.shown(path, value)
    switch (error.keyword) {
      case 'required': {
        const missing = (error.params as { missingProperty: string }).missingProperty
        const property = ((rule.properties as SchemaNode | undefined)?.[missing] ?? {}) as SchemaNode
        described.push({ path, onKey: false, message: `${missing} is missing — add it, e.g. ${example(property, missing)}` })
        break
      }
      case 'additionalProperties': {
        const key = (error.params as { additionalProperty: string }).additionalProperty
        const allowed = Object.keys((rule.properties as SchemaNode | undefined) ?? {})
        const near = closest(key, allowed)
        described.push({
          path: [...path, key],
          onKey: true,
          message: `${/^[A-Za-z0-9_-]+$/.test(key) ? key : showValue(key)} is not a key ${where(path)} — ${near ? `did you mean ${near}? (the keys there are: ${allowed.join(', ')})` : `use one of: ${allowed.join(', ')}`}`
        })
        break
      }
      case 'type':
        described.push({ path, onKey: false, message: typeMessage(pointer, rule, path, value, shown, (error.params as { type: string }).type, source) })
        break
      case 'enum': {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String)
        const near = typeof value === 'string' ? closest(value, allowed) : undefined
        described.push({ path, onKey: false, message: `${shown} is not ${article(title(rule))} this toolkit knows — use one of: ${allowed.join(', ')}${near ? ` (did you mean ${near}?)` : ''}` })
        break
      }
      case 'const':
        described.push({ path, onKey: false, message: `${shown} is not ${article(title(rule))} this toolkit reads — use ${example(rule)}` })
        break
      case 'minimum':
      case 'maximum': {
        const limit = (error.params as { limit: number }).limit
        described.push({
          path,
          onKey: false,
          message: `${shown} is ${error.keyword === 'minimum' ? 'less' : 'more'} than ${limit} — use ${article(title(rule))} from ${rule.minimum as number} to ${rule.maximum as number}`
        })
        break
      }
      case 'pattern':
      case 'maxLength':
      case 'minLength':
        described.push({
          path,
          onKey: false,
          message: secret
            ? "this entry is not a variable name (it is not shown: entries under secrets may hold a secret) — list only names, e.g. PHOENIX_KEY_BASE; if a secret's value was written here, remove it and rotate that secret"
            : `${shown} ${ruleBroken(rule)}`
        })
        break
      case 'uniqueItems': {
        const { i, j } = error.params as { i: number; j: number }
        const first = Math.min(i, j)
        const second = Math.max(i, j)
        const other = source.locate([...path, first])
        const repeated = secret ? 'this name' : source.shown([...path, second], valueAt(data, [...path, second]))
        described.push({ path: [...path, second], onKey: false, message: `${repeated} is listed twice (also at line ${other.line}, column ${other.column}) — keep one` })
        break
      }
      default:
        described.push({ path, onKey: false, message: `${secret ? 'this entry' : shown} ${error.message ?? 'is not valid'} — see ${title(rule) || 'the schema'}: ${example(rule)}` })
    }
  }
  return described
}

function typeMessage(pointer: string, rule: SchemaNode, path: StackPath, value: unknown, shown: string, expected: string, source: SourceMap): string {
  if (pointer === CONFIG_VALUE) {
    if (value === null) return `the value is empty — write "" for an empty value, or remove the key`
    if (typeof value === 'object') return `this is ${kind(value)}, and config values must be strings — write the value as one quoted string`
    const written = source.shown(path, value)
    return `${shown} is ${kind(value)}, and config values must be strings — quote it: ${JSON.stringify(written)}`
  }
  if (pointer === SECRETS)
    return `secrets is ${kind(value)} (not shown: it may hold secrets) — secrets lists names only, e.g. secrets: [PHOENIX_KEY_BASE, JOKEN_SIGNER]; each value comes from the step's environment (env:), never from this file`
  if (isUnderSecrets(path))
    return "this entry is not a name (it is not shown: it may hold a secret) — list only the variable's name; its value comes from the step's environment (env:), never from this file. If a real secret was written here, remove it and rotate that secret"
  if (value === null || value === undefined) return `this is empty, not ${expectedKind(expected)} — e.g. ${example(rule)}`
  const subject = typeof value === 'object' ? 'this' : shown
  return `${subject} is ${kind(value)}, not ${expectedKind(expected)} — e.g. ${example(rule)}`
}

/** `is not a valid bucket name: 3 to 63 lowercase letters… — e.g. uro-uploads`, from the rule's own title and description. */
function ruleBroken(rule: SchemaNode): string {
  return `is not a valid ${noun(title(rule))}: ${lowerFirst(ruleText(rule))} — e.g. ${example(rule)}`
}

function title(rule: SchemaNode): string {
  return typeof rule.title === 'string' ? rule.title : ''
}

/** The description up to its example: what the rule is, in words. */
function ruleText(rule: SchemaNode): string {
  const description = typeof rule.description === 'string' ? rule.description : ''
  return description.replace(/\s*Example:.*$/s, '').replace(/\.$/, '')
}

/** The description's `Example: …`, which every property in the schema ends with. */
function example(rule: SchemaNode, key?: string): string {
  const description = typeof rule.description === 'string' ? rule.description : ''
  const found = /Example: (.*)$/s.exec(description)?.[1]
  if (found !== undefined) return found
  return key === undefined ? 'see the schema' : `${key}: …`
}

/** A local `#/definitions/x` reference, the only kind the schema has. */
function resolve(root: unknown, ref: string): SchemaNode {
  let node: unknown = root
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as SchemaNode)[part]
  return node as SchemaNode
}

function where(path: StackPath): string {
  return path.length === 0 ? 'at the top of the file' : 'here'
}

function kind(value: unknown): string {
  if (value === null || value === undefined) return 'empty'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'boolean') return 'true or false'
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a number with a fraction'
  return 'a string'
}

function expectedKind(type: string): string {
  return { string: 'a string', integer: 'a whole number', number: 'a number', object: 'a mapping (key: value)', array: 'a list', boolean: 'true or false' }[type] ?? type
}

/** Names that keep their capital inside a sentence. */
const PROPER_NOUNS = ['Dokku', 'SeaweedFS', "Let's", 'TLS', 'S3']

/** A title (`Memory limit`, `Dokku app name`) as it reads inside a sentence. */
function noun(title: string): string {
  return PROPER_NOUNS.includes(title.split(' ')[0] ?? '') ? title : lowerFirst(title)
}

function article(title: string): string {
  const word = noun(title)
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`
}

function lowerFirst(text: string): string {
  return /^[A-Z](?:[a-z]|\s)/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text
}

/** ajv's `/apps/uro/services/0` as `['apps', 'uro', 'services', 0]`, numbers where the data has a list. */
export function instancePath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return []
  const path: (string | number)[] = []
  let node: unknown = data
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const key: string | number = Array.isArray(node) ? Number(segment) : segment
    path.push(key)
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined
  }
  return path
}

function valueAt(data: unknown, path: StackPath): unknown {
  let node: unknown = data
  for (const segment of path) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[segment] : undefined
  return node
}
