import { checkDomain } from '../../core/caddy/domain.js'
import { TLS_MODES, type TlsMode } from '../../core/caddy/routing.js'
import { configValueProblem } from '../../core/dokku/parse/config.js'
import { ConfigurationError } from '../../core/errors.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { CONFIG_KEY } from '../../core/dokku/names.js'
import { checkAppName, invalid, type InputReader } from '../../core/inputs/readers.js'
import { bucketNameProblem } from '../../core/s3/names.js'
import {
  APP_VARIABLES,
  checkSeaweedImage,
  SEAWEED_DEFAULT_APP,
  SEAWEED_DEFAULT_IMAGE,
  type AccessLevel,
  type AppVariable,
  type ImageChoice
} from '../../core/seaweed/recipe.js'

export const Inputs = {
  app: 'app',
  image: 'image',
  buckets: 'buckets',
  access: 'access',
  envNames: 'env-names',
  rotate: 'rotate',
  domain: 'domain',
  tls: 'tls',
  endpoint: 'endpoint',
  appEndpoint: 'app-endpoint',
  region: 'region',
  selfTest: 'self-test',
  adminPassword: 'admin-password',
  healthTimeout: 'health-timeout'
} as const

export const Outputs = {
  app: 'app',
  endpoint: 'endpoint',
  internalEndpoint: 'internal-endpoint',
  identities: 'identities',
  changed: 'changed',
  selfTest: 'self-test'
} as const

export interface AccessGrant {
  app: string
  /** In the order given; the first is AWS_S3_BUCKET. */
  buckets: string[]
  access: AccessLevel
}

export interface SeaweedConfig extends CommonSettings {
  app: string
  image: ImageChoice
  buckets: string[]
  access: AccessGrant[]
  /** Default name → the name the apps get. */
  envNames: Record<AppVariable, string>
  /** Apps whose key is replaced on this run. */
  rotate: Set<string>
  domain: string | undefined
  /** How Caddy gets the domain's certificate: Let's Encrypt, or Caddy's own CA. */
  tls: TlsMode
  /** Where the runner reaches the store's S3 port. */
  endpoint: string
  /** What AWS_S3_ENDPOINT says in the apps: the store's network address, or `endpoint`. */
  appEndpoint: 'internal' | 'public'
  region: string
  selfTest: boolean
  /** The admin UI is on only with a password (its auth is off without one). */
  adminPassword: string | undefined
  healthTimeoutMs: number
}

/** Reads and checks every input before anything connects. */
export function readSeaweedInputs(inputs: InputReader): SeaweedConfig {
  const common = readCommonInputs(inputs)
  const app = checkAppName(Inputs.app, inputs.string(Inputs.app, SEAWEED_DEFAULT_APP))
  const imageValue = inputs.string(Inputs.image, SEAWEED_DEFAULT_IMAGE)
  const image = checkSeaweedImage(imageValue)
  if ('problem' in image) throw invalid(Inputs.image, imageValue, image.problem, image.fix)
  const buckets = readBuckets(inputs)
  const access = readAccess(inputs, app, buckets)
  const tls = inputs.oneOf(Inputs.tls, TLS_MODES, 'acme')
  const domain = readDomain(inputs, tls)
  const endpoint = readEndpoint(inputs, domain, tls)
  const appEndpoint = inputs.oneOf(Inputs.appEndpoint, ['internal', 'public'] as const, 'internal')
  return {
    ...common,
    app,
    image,
    buckets,
    access,
    envNames: readEnvNames(inputs),
    rotate: readRotate(inputs, access),
    domain,
    tls,
    endpoint,
    appEndpoint,
    region: readRegion(inputs),
    selfTest: inputs.boolean(Inputs.selfTest, true),
    adminPassword: readAdminPassword(inputs),
    healthTimeoutMs: inputs.duration(Inputs.healthTimeout, { fallbackMs: 180_000, maxMs: 1_800_000 })
  }
}

function readBuckets(inputs: InputReader): string[] {
  const buckets = inputs.list(Inputs.buckets)
  const seen = new Set<string>()
  for (const bucket of buckets) {
    const problem = bucketNameProblem(bucket)
    if (problem) throw invalid(Inputs.buckets, bucket, `has a bucket name that ${problem}`, 'Follow the S3 bucket naming rules, e.g. uro-uploads (one bucket a line).')
    if (seen.has(bucket)) throw new ConfigurationError(`Input "${Inputs.buckets}" names bucket ${bucket} twice. Keep one line.`, Inputs.buckets)
    seen.add(bucket)
  }
  return buckets
}

function readAccess(inputs: InputReader, store: string, buckets: readonly string[]): AccessGrant[] {
  const grants: AccessGrant[] = []
  const example = `For example: uro ${buckets[0] ?? 'uro-uploads'} readwrite`
  for (const line of inputs.list(Inputs.access)) {
    const words = line.split(/\s+/)
    if (words.length !== 3) throw invalid(Inputs.access, line, 'must have three words a line: APP BUCKET[,BUCKET…] read|readwrite', `${example}.`)
    const [appWord, bucketWord, level] = words as [string, string, string]
    const app = checkAppName(Inputs.access, appWord)
    if (app === store) throw invalid(Inputs.access, line, `gives the store itself (${store}) an identity`, 'Name the apps that use the store.')
    if (level !== 'read' && level !== 'readwrite') throw invalid(Inputs.access, line, `has the access level "${level}", which is not one of read, readwrite`, `${example}.`)
    const list = bucketWord.split(',').filter((b) => b !== '')
    if (list.length === 0) throw invalid(Inputs.access, line, 'names no bucket', `${example}.`)
    for (const bucket of list)
      if (!buckets.includes(bucket))
        throw invalid(Inputs.access, line, `names bucket "${bucket}", which is not in input "${Inputs.buckets}"`, `Add ${bucket} to ${Inputs.buckets}, or correct the name (buckets: ${buckets.join(', ') || 'none'}).`)
    if (new Set(list).size !== list.length) throw invalid(Inputs.access, line, 'names a bucket twice', 'Keep each bucket once.')
    if (grants.some((g) => g.app === app)) throw new ConfigurationError(`Input "${Inputs.access}" has two lines for app ${app}. Put all of its buckets on one line.`, Inputs.access)
    grants.push({ app, buckets: list, access: level })
  }
  return grants
}

function readEnvNames(inputs: InputReader): Record<AppVariable, string> {
  const names = Object.fromEntries(APP_VARIABLES.map((v) => [v, v])) as Record<AppVariable, string>
  for (const [from, to] of inputs.keyValues(Inputs.envNames)) {
    if (!(APP_VARIABLES as readonly string[]).includes(from))
      throw invalid(Inputs.envNames, from, `renames a variable this action does not set`, `The variables are ${APP_VARIABLES.join(', ')}; write e.g. AWS_S3_BUCKET=UPLOADS_BUCKET.`)
    if (!CONFIG_KEY.test(to.trim())) throw invalid(Inputs.envNames, to, `gives ${from} a name that is not a variable name`, 'Letters, digits and underscores, starting with a letter or underscore.')
    if (to.trim().length > MAX_VARIABLE_NAME)
      throw invalid(Inputs.envNames, to, `gives ${from} a name of ${to.trim().length} characters`, `Use a name of at most ${MAX_VARIABLE_NAME} characters.`)
    names[from as AppVariable] = to.trim()
  }
  const values = Object.values(names)
  if (new Set(values).size !== values.length) throw new ConfigurationError(`Input "${Inputs.envNames}" gives two variables the same name (${values.join(', ')}). Each needs its own.`, Inputs.envNames)
  return names
}

function readRotate(inputs: InputReader, access: readonly AccessGrant[]): Set<string> {
  const words = inputs.list(Inputs.rotate).flatMap((line) => line.split(/[\s,]+/)).filter((w) => w !== '')
  if (words.includes('all')) return new Set(access.map((g) => g.app))
  for (const word of words)
    if (!access.some((g) => g.app === word))
      throw invalid(Inputs.rotate, word, `names an app that has no line in input "${Inputs.access}"`, `Name apps from ${Inputs.access} (${access.map((g) => g.app).join(', ') || 'none'}), or all.`)
  return new Set(words)
}

function readDomain(inputs: InputReader, tls: TlsMode): string | undefined {
  const value = inputs.optional(Inputs.domain)
  if (value === undefined) return undefined
  const fix = 'Give the store its own host name, e.g. s3.example.com (SigV4 signs the path, so S3 cannot live under a path prefix).'
  if (/^[a-z]+:\/\//i.test(value)) throw invalid(Inputs.domain, value, 'must be a host name without a scheme', fix)
  if (value.includes('/')) throw invalid(Inputs.domain, value, 'has a path: a path prefix breaks every SigV4 signature (seaweedfs#6086)', fix)
  if (value.includes('*')) throw invalid(Inputs.domain, value, 'is a wildcard: the store answers on one host name (path-style requests)', fix)
  // The rules Caddy's certificate needs, the same as caddy-config's domains.
  return checkDomain(Inputs.domain, value, tls)
}

/** Longer names are no one's variable; a bound keeps config:set's arguments sendable over SSH. */
const MAX_VARIABLE_NAME = 255
/** The password travels as a config:set argument (at most 32 KiB over the forced command); no password needs more. */
const MAX_ADMIN_PASSWORD = 1024

function readAdminPassword(inputs: InputReader): string | undefined {
  const password = inputs.secret(Inputs.adminPassword)
  if (password !== undefined && password.length > MAX_ADMIN_PASSWORD)
    throw new ConfigurationError(`Input "${Inputs.adminPassword}" is ${password.length} characters long; use at most ${MAX_ADMIN_PASSWORD} (the value is not shown: it is a secret).`, Inputs.adminPassword)
  // It is kept in the store app's Dokku config, which no Dokku from 0.37.8 on can hold as given for some endings.
  const problem = password === undefined ? undefined : configValueProblem(password, 'godotenv-1.5.1')
  if (problem !== undefined)
    throw new ConfigurationError(`Input "${Inputs.adminPassword}" cannot be kept in Dokku's config: ${problem} (the value is not shown: it is a secret). Choose a password that ends in a letter or digit.`, Inputs.adminPassword)
  return password
}

function readEndpoint(inputs: InputReader, domain: string | undefined, tls: TlsMode): string {
  const url = inputs.url(Inputs.endpoint, { protocols: ['https:', 'http:'] })
  if (url) {
    const value = inputs.optional(Inputs.endpoint) as string
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '')
      throw invalid(Inputs.endpoint, value, 'must be a scheme, host and optional port only: a path prefix breaks SigV4', 'For example https://s3.example.com.')
    return url.origin
  }
  if (domain && tls === 'internal')
    throw new ConfigurationError(
      `Input "${Inputs.endpoint}" is required with "${Inputs.tls}: internal": https://${domain} then has a certificate from Caddy's own CA, which the runner does not trust, ` +
        `so every request to it would fail after connecting. Set ${Inputs.endpoint} to a URL the runner trusts (e.g. http://${domain.split('.')[0]}.dokku.example.com through Dokku's proxy), or use ${Inputs.tls}: acme.`,
      Inputs.endpoint
    )
  if (domain) return `https://${domain}`
  throw new ConfigurationError(
    `Input "${Inputs.endpoint}" is required when "${Inputs.domain}" is empty: the runner must reach the store's S3 port to create buckets and identities. ` +
      `Set ${Inputs.domain} (the store's own host name, routed by caddy-config) or ${Inputs.endpoint} (e.g. http://seaweedfs.dokku.example.com through Dokku's proxy).`,
    Inputs.endpoint
  )
}

function readRegion(inputs: InputReader): string {
  const value = inputs.string(Inputs.region, 'us-east-1')
  if (!/^[a-z0-9-]{1,32}$/.test(value)) throw invalid(Inputs.region, value, 'must be a region name', 'For example us-east-1 (SeaweedFS accepts any).')
  return value
}
