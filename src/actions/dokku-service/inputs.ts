import { ConfigurationError } from '../../core/errors.js'
import { forcedCommandArgumentProblem } from '../../core/ssh/quote.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { CONFIG_KEY } from '../../core/dokku/names.js'
import { checkArgument, invalid, type InputReader } from '../../core/inputs/readers.js'
import {
  COCKROACH_DEFAULT_IMAGE,
  COCKROACH_DEFAULT_VERSION,
  COCKROACH_KEYS,
  cockroachNameProblem
} from '../../core/services/cockroach.js'
import { hasTag, imageReference, isTag, parseImageName } from '../../core/services/image.js'
import { normaliseAlias, SERVICE_PLUGIN_SOURCES } from '../../core/services/plugins.js'

export const Inputs = {
  engine: 'engine',
  service: 'service',
  app: 'app',
  createApp: 'create-app',
  image: 'image',
  imageVersion: 'image-version',
  linkAlias: 'link-alias',
  querystring: 'querystring',
  customEnv: 'custom-env',
  memory: 'memory',
  shmSize: 'shm-size',
  configOptions: 'config-options',
  upgrade: 'upgrade',
  installPlugins: 'install-plugins',
  destroy: 'destroy',
  confirmDestroy: 'confirm-destroy'
} as const

export const Outputs = {
  service: 'service',
  url: 'url',
  changed: 'changed'
} as const

export const ENGINES = ['postgres', 'redis', 'cockroach'] as const
export type Engine = (typeof ENGINES)[number]

export interface ServiceConfig extends CommonSettings {
  engine: Engine
  service: string
  /** The app to link; undefined: provision the service only. */
  app: string | undefined
  createApp: boolean
  /** postgres/redis: `--image` / `--image-version` at create and upgrade (undefined: the plugin's default). */
  image: string | undefined
  imageVersion: string | undefined
  /** cockroach: the full reference deployed with git:from-image (`repo:tag` or `repo@sha256:…`). */
  imageReference: string | undefined
  /** Normalised (`DATABASE`); the app's variable is `<alias>_URL`. */
  alias: string
  querystring: string | undefined
  customEnv: Map<string, string>
  /** Megabytes. */
  memory: number | undefined
  shmSize: string | undefined
  /** postgres/redis: extra server arguments (`--config-options`); cockroach: extra start flags. */
  configOptions: string | undefined
  upgrade: boolean
  installPlugins: boolean
  destroy: boolean
}

/** Memory limits above 1 TiB are a typo, not a plan. */
const MAX_MEMORY_MB = 1024 * 1024

/**
 * Reads and checks every input before anything connects: a bad name, a mutable cockroach tag or an
 * unconfirmed destroy fails here, with the host untouched.
 */
export function readServiceInputs(inputs: InputReader): ServiceConfig {
  const common = readCommonInputs(inputs)
  if (inputs.optional(Inputs.engine) === undefined)
    throw new ConfigurationError(`Input "${Inputs.engine}" is required and was not supplied. Set it to one of: ${ENGINES.join(', ')}.`, Inputs.engine)
  const engine = inputs.oneOf(Inputs.engine, ENGINES, 'postgres')
  const service = readServiceName(inputs, engine)
  const app = inputs.appName(Inputs.app)
  if (engine === 'cockroach' && app === service)
    throw invalid(Inputs.app, app, `must not be the service itself: CockroachDB service ${service} is a Dokku app of that name`, 'Name the app that uses the database.')

  const destroy = inputs.boolean(Inputs.destroy, false)
  const confirm = inputs.optional(Inputs.confirmDestroy)
  if (destroy && confirm !== service)
    throw new ConfigurationError(
      confirm === undefined
        ? `Input "${Inputs.destroy}" is true, which deletes ${engine} service ${service} and its data. To confirm, also set ${Inputs.confirmDestroy}: ${service}.`
        : `Input "${Inputs.confirmDestroy}" must name the service being destroyed (${service}); got ${JSON.stringify(confirm)}. Nothing was deleted.`,
      Inputs.confirmDestroy
    )
  if (!destroy && confirm !== undefined)
    throw new ConfigurationError(`Input "${Inputs.confirmDestroy}" is set but ${Inputs.destroy} is not true. Remove ${Inputs.confirmDestroy}, or set ${Inputs.destroy}: true to delete the service.`, Inputs.confirmDestroy)

  const image = readImage(inputs, engine)
  const upgrade = inputs.boolean(Inputs.upgrade, false)
  if (upgrade && engine !== 'cockroach' && image.version === undefined)
    throw new ConfigurationError(`Input "${Inputs.upgrade}" is true but ${Inputs.imageVersion} is empty: say which version to upgrade to, e.g. ${Inputs.imageVersion}: 18.4.`, Inputs.imageVersion)

  return {
    ...common,
    engine,
    service,
    app,
    createApp: inputs.boolean(Inputs.createApp, true),
    image: engine === 'cockroach' ? undefined : image.repository,
    imageVersion: engine === 'cockroach' ? undefined : image.version,
    imageReference: engine === 'cockroach' ? image.reference : undefined,
    alias: readAlias(inputs, engine),
    querystring: readQuerystring(inputs),
    customEnv: readCustomEnv(inputs, engine),
    memory: readMemory(inputs),
    shmSize: readShmSize(inputs, engine),
    configOptions: readConfigOptions(inputs, engine),
    upgrade,
    installPlugins: inputs.boolean(Inputs.installPlugins, false),
    destroy
  }
}

function readServiceName(inputs: InputReader, engine: Engine): string {
  if (engine !== 'cockroach') return inputs.serviceName(Inputs.service, { required: true })
  const value = inputs.required(Inputs.service)
  const problem = cockroachNameProblem(value)
  if (problem) throw invalid(Inputs.service, value, problem, 'For example "crdb" or "uro-db".')
  return value
}

function readImage(inputs: InputReader, engine: Engine): { repository: string | undefined; version: string | undefined; reference: string | undefined } {
  const raw = inputs.optional(Inputs.image)
  const version = inputs.optional(Inputs.imageVersion)
  const example = engine === 'cockroach' ? 'ghcr.io/v-sekai/cockroach' : engine === 'postgres' ? 'postgis/postgis' : 'redis'
  if (version !== undefined && !isTag(version))
    throw invalid(Inputs.imageVersion, version, 'must be an image tag', 'Letters, digits, ".", "_" and "-", e.g. 18.4 or v22.1.22.')
  if (raw !== undefined && hasTag(raw)) {
    // The split is only spelled out for a plausible reference: anything else is shown once, quoted, by invalid().
    const split = /^[A-Za-z0-9._/:@-]+$/.test(raw) ? `: image: ${raw.slice(0, raw.lastIndexOf(':'))}, ${Inputs.imageVersion}: ${raw.slice(raw.lastIndexOf(':') + 1)}` : ''
    throw invalid(Inputs.image, raw, 'must not carry a tag', `Put the tag in ${Inputs.imageVersion}${split}.`)
  }
  const name = raw === undefined ? undefined : parseImageName(raw)
  if (raw !== undefined && name === undefined)
    throw invalid(Inputs.image, raw, 'must be an image repository (registry/name), optionally with @sha256:<digest>', `For example ${example}.`)
  if (engine !== 'cockroach') {
    if (name?.digest) throw invalid(Inputs.image, raw as string, `cannot carry a digest for ${engine}: the plugin takes a repository and a tag`, `Use ${Inputs.image} and ${Inputs.imageVersion}.`)
    return { repository: name?.repository, version, reference: undefined }
  }
  // cockroach: an immutable reference, because git:from-image treats an unchanged reference as
  // "No changes detected" and never redeploys a moved tag (docs/dokku-contract.md#cockroach-app step 6, #git-from-image).
  const chosen = name ?? { repository: COCKROACH_DEFAULT_IMAGE, digest: undefined }
  if (chosen.digest && version !== undefined)
    throw new ConfigurationError(`Inputs "${Inputs.image}" (with a digest) and "${Inputs.imageVersion}" cannot both pin the image. Keep one of them.`, Inputs.imageVersion)
  const tag = chosen.digest ? undefined : (version ?? (name === undefined ? COCKROACH_DEFAULT_VERSION : undefined))
  if (!chosen.digest && tag === undefined)
    throw new ConfigurationError(
      `Input "${Inputs.imageVersion}" is required with image ${chosen.repository}: CockroachDB is deployed from an immutable reference. ` +
        `Set ${Inputs.imageVersion} to a release or commit tag, or give ${Inputs.image} as ${chosen.repository}@sha256:<digest>.`,
      Inputs.imageVersion
    )
  if (tag === 'latest')
    throw invalid(
      Inputs.imageVersion,
      tag,
      'must be an immutable tag: "latest" moves, and Dokku does not redeploy an unchanged reference',
      `Use a release or commit tag (e.g. ${COCKROACH_DEFAULT_VERSION}, or ghcr.io/v-sekai/cockroach's <commit sha> tag), or a digest.`
    )
  return { repository: chosen.repository, version: tag, reference: imageReference(chosen, tag) }
}

function readAlias(inputs: InputReader, engine: Engine): string {
  const fallback = engine === 'redis' ? SERVICE_PLUGIN_SOURCES.redis.defaultAlias : SERVICE_PLUGIN_SOURCES.postgres.defaultAlias
  const value = inputs.optional(Inputs.linkAlias)
  if (value === undefined) return fallback
  const alias = normaliseAlias(checkArgument(Inputs.linkAlias, value, `For example ${fallback} (the app gets ${fallback}_URL).`))
  if (!/^[A-Z_][A-Z0-9_]*$/.test(alias) || alias === '')
    throw invalid(Inputs.linkAlias, value, 'must be a variable name prefix (letters, digits and underscores)', `For example ${fallback} (the app gets ${fallback}_URL).`)
  return alias
}

function readQuerystring(inputs: InputReader): string | undefined {
  const value = inputs.optional(Inputs.querystring)
  if (value === undefined) return undefined
  const query = checkArgument(Inputs.querystring, value.replace(/^\?/, ''), 'For example pool_size=10.')
  // It travels as a plugin argument and ends in a URL: plain URL query characters only.
  if (!/^[A-Za-z0-9_.~%=&+,:-]+$/.test(query) || query.startsWith('-'))
    throw invalid(Inputs.querystring, value, 'must be a URL query string (key=value pairs joined by &)', 'For example pool_size=10 (percent-encode anything else).')
  return query
}

function readCustomEnv(inputs: InputReader, engine: Engine): Map<string, string> {
  const env = inputs.keyValues(Inputs.customEnv)
  for (const [key, value] of env) {
    if (engine !== 'cockroach' && /[;\n]/.test(value))
      throw new ConfigurationError(`Input "${Inputs.customEnv}": the value of ${key} contains ";" or a newline, which the ${engine} plugin cannot store (it splits the list on ";").`, Inputs.customEnv)
    if (engine === 'cockroach' && (Object.values(COCKROACH_KEYS) as string[]).includes(key))
      throw new ConfigurationError(`Input "${Inputs.customEnv}" sets ${key}, which the CockroachDB recipe manages itself. Remove it; use ${Inputs.configOptions} for extra start flags.`, Inputs.customEnv)
    if (!CONFIG_KEY.test(key)) throw invalid(Inputs.customEnv, key, 'has an invalid key', 'Keys start with a letter or underscore.')
  }
  // The plugin takes the whole list as one --custom-env argument (values are not shown: they may be credentials).
  const problem = env.size === 0 ? undefined : forcedCommandArgumentProblem([...env].map(([key, value]) => `${key}=${value}`).join(';'))
  if (problem) throw new ConfigurationError(`Input "${Inputs.customEnv}" cannot be sent to Dokku as one argument: ${problem}.`, Inputs.customEnv)
  return env
}

function readMemory(inputs: InputReader): number | undefined {
  if (inputs.optional(Inputs.memory) === undefined) return undefined
  return inputs.integer(Inputs.memory, { fallback: 1024, min: 16, max: MAX_MEMORY_MB, unit: 'MB' })
}

function readShmSize(inputs: InputReader, engine: Engine): string | undefined {
  const value = inputs.optional(Inputs.shmSize)
  if (value === undefined) return undefined
  if (engine === 'cockroach')
    throw new ConfigurationError(`Input "${Inputs.shmSize}" applies to the postgres and redis plugins only; CockroachDB does not use shared memory this way. Remove it.`, Inputs.shmSize)
  if (!/^\d+[bkmg]?$/i.test(value)) throw invalid(Inputs.shmSize, value, 'must be a size', 'For example 256m or 1g.')
  return value
}

function readConfigOptions(inputs: InputReader, engine: Engine): string | undefined {
  const value = inputs.optional(Inputs.configOptions)
  if (value === undefined) return undefined
  if (/\n/.test(value)) throw invalid(Inputs.configOptions, value, 'must be on one line', 'Separate the options with spaces.')
  checkArgument(Inputs.configOptions, value.trim(), 'Write the options in full, e.g. --max_connections=200.')
  if (engine === 'cockroach') {
    // COCKROACH_ARGS is word-split unquoted by the image's entrypoint (docs/dokku-contract.md#cockroach-app): plain flags only,
    // nothing a shell would glob or quote.
    for (const word of value.split(/\s+/).filter((w) => w !== ''))
      if (!/^--?[A-Za-z0-9][A-Za-z0-9_.=:/,%+-]*$/.test(word))
        throw invalid(Inputs.configOptions, value, `has ${JSON.stringify(word)}, which is not a plain start flag`, 'For example --cache=.25 --max-sql-memory=.25 (no quotes, spaces inside values or globs).')
  }
  return value.trim()
}
