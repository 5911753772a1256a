// Reads the stack file (`dokku-stack.yml`, issue 14): YAML 1.2 checked against the schema the
// repository publishes (schema/dokku-stack.schema.json, which editors use too), then the checks
// across sections that a schema cannot express. Every problem is reported at once, each with the
// file, line and column, the path in the file, the bad value and the fix.
import { readFile, stat } from 'node:fs/promises'
import { Ajv, type ErrorObject } from 'ajv'
import { isAlias, isNode, isPair, isScalar, LineCounter, parseDocument, Scalar, visit, type Node } from 'yaml'
import schema from '../../../schema/dokku-stack.schema.json' with { type: 'json' }
import { configValueProblem } from '../dokku/parse/config.js'
import { ConfigurationError } from '../errors.js'
import { CONFIG_KEY } from '../dokku/names.js'
import { registerSecret } from '../secrets.js'
import { checkSeaweedImage } from '../seaweed/recipe.js'
import { COCKROACH_SERVICE_NAME } from '../services/cockroach.js'
import type { AccessLevel, AppSpec, DeploySpec, ObjectStoreSpec, ProxySpec, ServiceSpec, SourceLocation, StackFile, StackPath, StackSpec, StorageSpec } from './model.js'
import { describeSchemaErrors, indexSchema, type SchemaIndex } from './schema-errors.js'
import { escapeInvisible, formatPath, showValue, SourceMap, suggestion } from './source.js'

/** A stack file describes one host; one this large is no longer a file a person reviews. */
export const STACK_FILE_MAX_BYTES = 1024 * 1024
/** The input that names the file (the root action's). */
export const STACK_FILE_INPUT = 'stack-file'
/** More problems than this and the rest are counted, not listed: the first ones are what to fix. */
const MAX_LISTED_PROBLEMS = 50

export interface StackProblem {
  readonly location: SourceLocation
  /** The path in the file's spelling, `apps.uro.port`; empty for the file as a whole. */
  readonly path: string
  /** What is wrong and the fix: `99999 is more than 65535 — use a port from 1 to 65535`. */
  readonly message: string
}

/** Everything wrong with a stack file, one line each: `file:line:column: path: problem — fix`. */
export class StackFileError extends ConfigurationError {
  readonly file: string
  readonly problems: readonly StackProblem[]
  constructor(file: string, problems: readonly StackProblem[]) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map(formatProblem)
    const more = problems.length - listed.length
    super(
      [
        `The stack file ${file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; nothing was changed on the host:`,
        ...listed,
        ...(more > 0 ? [`… and ${more} more.`] : [])
      ].join('\n'),
      STACK_FILE_INPUT
    )
    this.name = 'StackFileError'
    this.file = file
    this.problems = problems
  }
}

export function formatProblem(problem: StackProblem): string {
  const { file, line, column } = problem.location
  return `${file}:${line}:${column}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`
}

/** Reads and checks the stack file at `path` (the name errors show is `path` as given). */
export async function readStackFile(path: string): Promise<StackFile> {
  let size: number
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new ConfigurationError(`Input "${STACK_FILE_INPUT}" names ${path}, which is not a file. Set ${STACK_FILE_INPUT} to the stack file's path, e.g. dokku-stack.yml.`, STACK_FILE_INPUT)
    size = info.size
  } catch (error) {
    if (error instanceof ConfigurationError) throw error
    throw new ConfigurationError(
      `Input "${STACK_FILE_INPUT}" names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}) from ${process.cwd()}. ` +
        `Check the repository out first (actions/checkout), or set ${STACK_FILE_INPUT} to the file's path relative to the workspace.`,
      STACK_FILE_INPUT
    )
  }
  if (size > STACK_FILE_MAX_BYTES) throw new StackFileError(path, [tooLarge(path, size)])
  const bytes = await readFile(path)
  let text: string
  try {
    // Fatal: a byte that is not UTF-8 would otherwise become U+FFFD and reach the host changed.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new StackFileError(path, [{ location: { file: path, line: 1, column: 1 }, path: '', message: 'the file is not UTF-8 text — save it as UTF-8' }])
  }
  return parseStackFile(text, path)
}

/** Parses and checks a stack file's text; `file` is the name its errors show. */
export function parseStackFile(text: string, file: string): StackFile {
  const bytes = Buffer.byteLength(text)
  if (bytes > STACK_FILE_MAX_BYTES) throw new StackFileError(file, [tooLarge(file, bytes)])
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { version: '1.2', schema: 'core', merge: false, uniqueKeys: true, strict: true, prettyErrors: false, lineCounter })
  const source = new SourceMap(file, text, doc, lineCounter)

  // YAML's own errors and the features refused are reported together: the walk works on a partial document.
  const yaml = byPosition([...yamlProblems(source), ...structureProblems(source)])
  if (yaml.length > 0) throw new StackFileError(file, yaml)

  const data: unknown = doc.toJS()
  if (data === null || data === undefined) throw new StackFileError(file, [{ location: source.start(), path: '', message: 'the file is empty — start it with version: 1' }])
  maskMisplacedSecrets(data)
  const validate = compiledSchema()
  // Defaults from the schema are filled in here, so the schema is the one place that states them.
  if (!validate.run(data)) {
    throw new StackFileError(file, schemaProblems(validate, validate.run.errors ?? [], data, source))
  }
  const spec = toSpec(data as FileData)
  const crossProblems = crossReferenceProblems(spec, source)
  if (crossProblems.length > 0) throw new StackFileError(file, crossProblems)
  return { spec, locate: (path) => source.locate(path) }
}

/**
 * An app's `secrets` holds names; anything else there (`KEY=value`, `{ KEY: value }`) may be the
 * secret itself, written into the file by mistake. The errors never quote it, and it is masked
 * now so that nothing printed later in the run can show it either.
 */
function maskMisplacedSecrets(data: unknown): void {
  const apps = (data as { apps?: unknown }).apps
  if (apps === null || typeof apps !== 'object') return
  for (const app of Object.values(apps)) {
    const secrets = app !== null && typeof app === 'object' ? (app as { secrets?: unknown }).secrets : undefined
    const entries = Array.isArray(secrets) ? secrets : secrets !== null && typeof secrets === 'object' ? [secrets] : []
    for (const entry of entries) {
      if (typeof entry === 'string' && CONFIG_KEY.test(entry)) continue
      for (const text of stringsIn(entry)) {
        registerSecret(text)
        if (text.includes('=')) registerSecret(text.slice(text.indexOf('=') + 1))
      }
    }
  }
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)]
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn)
  return []
}

function tooLarge(file: string, bytes: number): StackProblem {
  return {
    location: { file, line: 1, column: 1 },
    path: '',
    message: `the file is ${bytes} bytes, over the ${STACK_FILE_MAX_BYTES} bytes (1 MiB) a stack file may have — one host's stack fits in a few kilobytes: remove what is not part of it`
  }
}

// ---------------------------------------------------------------------------------------------
// YAML itself: syntax, and the features whose expansions surprise.

function yamlProblems(source: SourceMap): StackProblem[] {
  const problems: StackProblem[] = []
  for (const error of [...source.doc.errors, ...source.doc.warnings]) {
    const offset = error.pos[0]
    const path = formatPath(source.pathAt(offset))
    let message: string
    switch (error.code) {
      case 'DUPLICATE_KEY': {
        const key = String(source.pathAt(offset).at(-1) ?? source.text.slice(error.pos[0], error.pos[1]).trim())
        message = `the key ${showValue(key)} appears twice in the same mapping — keep one (YAML would silently keep only the last, so a value could vanish unseen)`
        break
      }
      case 'MULTIPLE_DOCS':
        message = 'the file holds more than one YAML document (a line of ---) — keep one document: one stack file describes one host'
        break
      case 'TAG_RESOLVE_FAILED':
        continue // reported with every other tag below
      default:
        message = `YAML syntax: ${error.message.replace(/\s+/g, ' ').trim()} — correct the YAML here`
    }
    problems.push({ location: source.at(offset), path, message })
  }
  const version = source.doc.directives?.yaml
  if (version?.explicit && version.version !== '1.2')
    problems.push({
      location: source.start(),
      path: '',
      message: `the file declares %YAML ${version.version}, but a stack file is read as YAML 1.2 only (in 1.1, on, yes and 0777 are not strings) — remove the %YAML line`
    })
  return problems
}

const MERGE_KEY = '<<'

function structureProblems(source: SourceMap): StackProblem[] {
  const problems: StackProblem[] = []
  const where = (node: Node, at?: number): { location: SourceLocation; path: string } => {
    const offset = node.range?.[0] ?? 0
    return { location: source.at(at ?? offset), path: formatPath(source.pathAt(offset)) }
  }
  // A node's range starts at its value: its anchor and tag are written before it.
  const before = (node: Node, marker: string): number | undefined => {
    const index = source.text.lastIndexOf(marker, node.range?.[0] ?? 0)
    return index < 0 ? undefined : index
  }
  visit(source.doc, {
    Alias: (_key, node) => {
      problems.push({ ...where(node), message: `the alias *${escapeInvisible(node.source)} repeats another part of the file — write the value out: anchors and aliases make a reader look elsewhere for what a key holds, and can expand beyond what the file shows` })
    },
    Node: (_key, node) => {
      if (node.anchor)
        problems.push({ ...where(node, before(node, `&${node.anchor}`)), message: `the anchor &${escapeInvisible(node.anchor)} is not allowed — remove it and write each value where it is used: anchors and aliases make a reader look elsewhere for what a key holds` })
      if (node.tag && !isAlias(node)) {
        let start = before(node, '!')
        while (start !== undefined && start > 0 && source.text[start - 1] === '!') start--
        const written = start === undefined ? node.tag : (/^\S+/.exec(source.text.slice(start))?.[0] ?? node.tag)
        problems.push({ ...where(node, start), message: `the tag ${escapeInvisible(written)} is not allowed — remove it, and quote the value if it must be a string: tags change what a value means out of sight` })
      }
    },
    Pair: (_key, pair) => {
      if (!isPair(pair)) return
      const key = pair.key
      if (isScalar(key) && key.value === MERGE_KEY && key.type === Scalar.PLAIN) {
        problems.push({ ...where(key as Node), message: 'the merge key << is not allowed — write the keys out: merged keys come from elsewhere in the file, and YAML 1.2 does not define them' })
        return
      }
      if (!isScalar(key)) {
        if (isNode(key)) problems.push({ ...where(key), message: 'a key here is a list or a mapping — keys are names: write a plain name' })
        return
      }
      if (typeof key.value !== 'string') {
        const text = key.range ? source.text.slice(key.range[0], key.range[1]) : String(key.value)
        const written = escapeInvisible(text.length > 40 ? `${text.slice(0, 37)}...` : text)
        problems.push({
          ...where(key as Node),
          message: `the key ${written} is read by YAML as ${key.value === null ? 'an empty value' : `a ${typeof key.value}`}, not as a name — quote it: "${written}"`
        })
      }
    }
  })
  return problems
}

// ---------------------------------------------------------------------------------------------
// The schema.

interface CompiledSchema {
  run: ReturnType<Ajv['compile']>
  schema: unknown
  index: SchemaIndex
}

let compiled: CompiledSchema | undefined

function compiledSchema(): CompiledSchema {
  if (compiled) return compiled
  // strict: the schema itself must be exact; verbose: errors carry the subschema, which says what
  // the rule is in words (its title and description, the same text an editor shows).
  const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true, verbose: true })
  compiled = { run: ajv.compile(schema), schema, index: indexSchema(schema) }
  return compiled
}

/** The published schema, as bundled (for tests and for anyone who wants to print it). */
export const STACK_FILE_SCHEMA: unknown = schema

function schemaProblems(checker: CompiledSchema, errors: readonly ErrorObject[], data: unknown, source: SourceMap): StackProblem[] {
  const problems: StackProblem[] = []
  const seen = new Set<string>()
  for (const described of describeSchemaErrors(checker.schema, checker.index, errors, data, source)) {
    const problem = { location: source.locate(described.path, { key: described.onKey }), path: formatPath(described.path), message: described.message }
    const line = formatProblem(problem)
    // Two keywords can break one rule (a name's pattern and its length): one line says it.
    if (seen.has(line)) continue
    seen.add(line)
    problems.push(problem)
  }
  return byPosition(problems)
}

function byPosition(problems: StackProblem[]): StackProblem[] {
  return problems.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column)
}

// ---------------------------------------------------------------------------------------------
// The typed result: the file's kebab-case keys become model.ts's camelCase fields here, and only here.

interface FileData {
  version: 1
  services: Record<string, { engine: ServiceSpec['engine']; image?: string; memory?: number }>
  'object-store'?: { app: string; image?: string; buckets: string[]; access: Record<string, Record<string, AccessLevel>>; domain?: string; region?: string }
  proxy?: { 'letsencrypt-email'?: string; tls: ProxySpec['tls'] }
  apps: Record<
    string,
    {
      services: string[]
      config: Record<string, string>
      secrets: string[]
      domains: string[]
      port?: number
      storage: string[]
      healthcheck?: { path: string }
      deploy?: { source: 'git'; branch?: string } | { image: string }
    }
  >
}

function toSpec(data: FileData): StackSpec {
  const store = data['object-store']
  const objectStore: ObjectStoreSpec | undefined = store && {
    app: store.app,
    ...(store.image !== undefined && { image: store.image }),
    buckets: [...store.buckets],
    access: mapEntries(store.access, (buckets) => mapEntries(buckets, (level) => level)),
    ...(store.domain !== undefined && { domain: store.domain }),
    ...(store.region !== undefined && { region: store.region })
  }
  const proxy: ProxySpec | undefined = data.proxy && {
    ...(data.proxy['letsencrypt-email'] !== undefined && { letsencryptEmail: data.proxy['letsencrypt-email'] }),
    tls: data.proxy.tls
  }
  return {
    version: 1,
    services: mapEntries(data.services, (service) => ({
      engine: service.engine,
      ...(service.image !== undefined && { image: service.image }),
      ...(service.memory !== undefined && { memory: service.memory })
    })),
    ...(objectStore && { objectStore }),
    ...(proxy && { proxy }),
    apps: mapEntries(data.apps, (app): AppSpec => {
      const deploy: DeploySpec | undefined =
        app.deploy === undefined ? undefined : 'image' in app.deploy ? { image: app.deploy.image } : { source: 'git', ...(app.deploy.branch !== undefined && { branch: app.deploy.branch }) }
      return {
        services: [...app.services],
        config: mapEntries(app.config, (value) => value),
        secrets: [...app.secrets],
        domains: [...app.domains],
        ...(app.port !== undefined && { port: app.port }),
        storage: app.storage.map(parseMount),
        ...(app.healthcheck && { healthcheck: { path: app.healthcheck.path } }),
        ...(deploy && { deploy })
      }
    })
  }
}

/** `SOURCE:TARGET`; the schema's pattern keeps `:` out of both halves. */
export function parseMount(mount: string): StorageSpec {
  const colon = mount.indexOf(':')
  return { source: mount.slice(0, colon), target: mount.slice(colon + 1) }
}

/** A copy of a record with each value mapped; `Object.fromEntries` keeps a key such as `__proto__` as an own key. */
function mapEntries<T, U>(record: Record<string, T>, map: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value, key)]))
}

// ---------------------------------------------------------------------------------------------
// What the schema cannot say: references between sections, and rules that depend on another value.

function crossReferenceProblems(spec: StackSpec, source: SourceMap): StackProblem[] {
  const problems: StackProblem[] = []
  const add = (path: StackPath, message: string, onKey = false): void => {
    problems.push({ location: source.locate(path, { key: onKey }), path: formatPath(path), message })
  }
  const serviceNames = Object.keys(spec.services)
  const appNames = Object.keys(spec.apps)
  const tls = spec.proxy?.tls ?? 'letsencrypt'

  for (const [name, service] of Object.entries(spec.services)) {
    if (service.engine === 'cockroach' && !COCKROACH_SERVICE_NAME.test(name))
      add(
        ['services', name],
        `${showValue(name)} cannot name a cockroach service: it must be lowercase letters, digits and hyphens, starting with a letter (the node runs as a Dokku app, and the database is named after it in SQL) — rename it, e.g. uro-db`,
        true
      )
    if (appNames.includes(name))
      add(['services', name], `${showValue(name)} names both a service and an app — give them different names: CockroachDB services run as Dokku apps, and a plan step names each by its name alone`, true)
  }

  const store = spec.objectStore
  if (store) {
    if (appNames.includes(store.app))
      add(['object-store', 'app'], `${showValue(store.app)} is the object store's app and also an app under apps — the store's app is created and deployed by the object store: pick another name for one of them`)
    if (serviceNames.includes(store.app))
      add(['object-store', 'app'], `${showValue(store.app)} is the object store's app and also a service — pick another name for one of them`)
    if (store.image !== undefined) {
      const image = checkSeaweedImage(store.image)
      if ('problem' in image) add(['object-store', 'image'], `${showValue(store.image)} ${image.problem} — ${lowerFirst(image.fix)}`)
    }
    for (const [app, buckets] of Object.entries(store.access)) {
      if (app === store.app) add(['object-store', 'access', app], `gives the store itself (${store.app}) an identity — name the apps that use the store`, true)
      else if (!appNames.includes(app)) add(['object-store', 'access', app], `${showValue(app)} is not an app under apps — add it to apps, or correct the name${suggestion(app, appNames)}`, true)
      for (const bucket of Object.keys(buckets))
        if (!store.buckets.includes(bucket))
          add(['object-store', 'access', app, bucket], `${showValue(bucket)} is not one of object-store.buckets — add it to buckets, or correct the name${suggestion(bucket, store.buckets)}`, true)
    }
    if (store.domain !== undefined && store.domain.startsWith('*.'))
      add(['object-store', 'domain'], `${showValue(store.domain)} is a wildcard — the store answers on one host name (path-style requests): name it, e.g. s3.example.org`)
  }

  const domainOwner = new Map<string, StackPath>()
  if (store?.domain !== undefined) domainOwner.set(store.domain, ['object-store', 'domain'])
  for (const [name, app] of Object.entries(spec.apps)) {
    app.services.forEach((service, i) => {
      if (!serviceNames.includes(service))
        add(['apps', name, 'services', i], `${showValue(service)} is not a service under services — add it to services, or correct the name${suggestion(service, serviceNames)}`)
    })
    for (const key of Object.keys(app.config)) {
      if (app.secrets.includes(key))
        add(['apps', name, 'config', key], `${key} is set here and also listed in secrets — a secret's value comes from the step's environment only: remove it from config`, true)
      if ((app.config[key] as string).includes('${{'))
        add(
          ['apps', name, 'config', key],
          `${showValue(app.config[key])} holds a \${{ }} expression, which nothing expands in a stack file (it is not a workflow) — write the value itself, or list ${key} under secrets and set it in the step's env:`
        )
      const problem = configValueProblem(app.config[key] as string, 'godotenv-1.5.1')
      if (problem !== undefined)
        add(['apps', name, 'config', key], `Dokku cannot store this value as given (${problem}) — end it with another character, or store it base64-encoded and decode it in the app`)
    }
    app.domains.forEach((domain, i) => {
      const path = ['apps', name, 'domains', i]
      const owner = domainOwner.get(domain)
      if (owner) {
        const other = source.locate(owner)
        add(path, `${showValue(domain)} is also ${formatPath(owner)} (line ${other.line}) — a host name routes to one app: remove one`)
      } else domainOwner.set(domain, path)
      if (domain.startsWith('*.') && tls === 'letsencrypt')
        add(path, `${showValue(domain)} is a wildcard, which Let's Encrypt issues only through a DNS challenge that Dokku's Caddy cannot answer — list each host name, or set proxy.tls: internal`)
    })
    if (app.domains.length > 0 && app.port === undefined)
      add(['apps', name, 'domains'], `the proxy needs the port the app listens on to route its domains — add port: under apps.${formatPath([name])}, e.g. port: 4000`)
  }
  return byPosition(problems)
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
