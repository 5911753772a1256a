import { ConfigurationError } from '../../core/errors.js'
import type { RunContext } from '../../core/github/context.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { CONFIG_KEY } from '../../core/dokku/names.js'
import { checkAppName, hasEmptyHost, invalid, type InputReader } from '../../core/inputs/readers.js'
import { configSetArgv } from '../../core/dokku/commands/config.js'
import { unstorableConfigMessage } from '../../core/dokku/parse/config.js'
import { buildRemoteCommand, forcedCommandArgumentProblem, UnsendableArgumentError } from '../../core/ssh/quote.js'
import { registerConfigSecrets } from '../../core/secrets.js'
import { parseImageReference } from '../../core/services/image.js'

export const Inputs = {
  app: 'app',
  source: 'source',
  image: 'image',
  branch: 'branch',
  ref: 'ref',
  config: 'config',
  publicConfigKeys: 'public-config-keys',
  secretConfigKeys: 'secret-config-keys',
  createApp: 'create-app',
  healthcheckUrl: 'healthcheck-url',
  healthcheckStatus: 'healthcheck-status',
  healthcheckTimeout: 'healthcheck-timeout',
  rollback: 'rollback',
  lockTimeout: 'lock-timeout',
  reviewApp: 'review-app',
  reviewAppName: 'review-app-name',
  githubToken: 'github-token',
  environment: 'environment',
  path: 'path'
} as const

export const Outputs = {
  deployedSha: 'deployed-sha',
  deployedImage: 'deployed-image',
  previousSha: 'previous-sha',
  previousImage: 'previous-image',
  url: 'url',
  changed: 'changed',
  rolledBack: 'rolled-back',
  app: 'app'
} as const

export type DeploySource = { kind: 'git'; ref: string; workdir: string } | { kind: 'image'; image: string }

export interface DeployConfig extends CommonSettings {
  /** The app that receives the deploy (the review app's name for review-app: create). */
  app: string
  /** The app a review app is cloned from. */
  baseApp: string
  source: DeploySource
  /** The app's deploy branch on the host (git:set deploy-branch when it differs). */
  branch: string
  config: Map<string, string>
  /** The config keys whose whole value is masked (the rest are public and may be shown). */
  maskedConfigKeys: string[]
  createApp: boolean
  healthcheck: { url: URL; expectedStatus: number; timeoutMs: number } | undefined
  /** Why there is no health check: `none` said on purpose, or an empty healthcheck-url (an unset variable?). */
  healthcheckOff: 'none' | 'empty' | undefined
  rollback: boolean
  lockTimeoutMs: number
  reviewApp: 'create' | 'destroy' | undefined
  githubToken: string | undefined
  environment: string
}

/** The facts of the run the defaults depend on. */
export type EventContext = Pick<RunContext, 'eventName' | 'sha' | 'pullRequest' | 'workspace'>

const MAX_REVIEW_APP_NAME = 63

export function readDeployInputs(inputs: InputReader, event: EventContext): DeployConfig {
  // Secrets first: masked before any other input can fail and print an error.
  const githubToken = inputs.secret(Inputs.githubToken)
  const { config: appConfig, masked: maskedConfigKeys } = readAppConfig(inputs)
  const common = readCommonInputs(inputs)
  const baseApp = inputs.appName(Inputs.app, { required: true })
  const reviewValue = inputs.optional(Inputs.reviewApp)
  const reviewApp = reviewValue === undefined ? undefined : inputs.oneOf(Inputs.reviewApp, ['create', 'destroy'] as const, 'create')
  const app = reviewApp ? reviewAppName(inputs, baseApp, event) : baseApp

  const sourceKind = inputs.oneOf(Inputs.source, ['git', 'image'] as const, 'git')
  let source: DeploySource
  if (sourceKind === 'image') {
    const image = inputs.required(Inputs.image, 'With source: image, set image to the prebuilt image, preferably by digest (registry/name@sha256:…).')
    // It travels as a git:from-image argument, which Dokku splits on whitespace (docs/dokku-contract.md#forced-command).
    if (parseImageReference(image) === undefined)
      throw invalid(Inputs.image, image, 'must be an image reference (registry/name:tag or registry/name@sha256:digest)', 'For example ghcr.io/acme/uro@sha256:<64 hex digits>.')
    source = { kind: 'image', image }
  } else {
    if (inputs.optional(Inputs.image) !== undefined)
      throw new ConfigurationError(`Input "${Inputs.image}" is set but source is git. Set source: image to deploy the image, or remove image.`, Inputs.image)
    const ref = inputs.optional(Inputs.ref) ?? (event.pullRequest ? event.pullRequest.headSha : event.sha)
    if (ref === undefined)
      throw new ConfigurationError(`Input "${Inputs.ref}" has no default outside GitHub Actions (GITHUB_SHA is unset). Set ref to the commit to deploy, e.g. HEAD.`, Inputs.ref)
    if (/\s/.test(ref) || ref.startsWith('-')) throw invalid(Inputs.ref, ref, 'must be a commit, branch or tag', 'For example HEAD or a full commit SHA.')
    source = { kind: 'git', ref, workdir: inputs.string(Inputs.path, event.workspace) }
  }

  const healthcheckValue = inputs.optional(Inputs.healthcheckUrl)
  const healthcheckOff = healthcheckValue === undefined ? 'empty' : healthcheckValue === 'none' ? 'none' : undefined
  const url = healthcheckOff ? undefined : inputs.url(Inputs.healthcheckUrl, { protocols: ['https:', 'http:'] })
  const healthcheck = url
    ? {
        url,
        expectedStatus: inputs.integer(Inputs.healthcheckStatus, { fallback: 200, min: 100, max: 599 }),
        timeoutMs: inputs.duration(Inputs.healthcheckTimeout, { fallbackMs: 120_000, maxMs: 3_600_000 })
      }
    : undefined

  return {
    ...common,
    app,
    baseApp,
    source,
    branch: deployBranch(inputs),
    config: appConfig,
    maskedConfigKeys,
    createApp: inputs.boolean(Inputs.createApp, true),
    healthcheck,
    healthcheckOff,
    rollback: inputs.boolean(Inputs.rollback, true),
    lockTimeoutMs: inputs.duration(Inputs.lockTimeout, { fallbackMs: 300_000, maxMs: 3_600_000 }),
    reviewApp,
    githubToken,
    environment: inputs.string(Inputs.environment, reviewApp ? `review/${app}` : 'production')
  }
}

/**
 * The `config` input with the masks it needs: read without masking anything, then only the values
 * that are secret are masked (see registerConfigSecrets), so that a public value such as the app's
 * URL stays readable. A value that is a URL with no host is refused: it is what
 * `https://${{ vars.DOMAIN }}/` becomes when the variable is unset, and the app would boot with it.
 */
function readAppConfig(inputs: InputReader): { config: Map<string, string>; masked: string[] } {
  const config = inputs.keyValues(Inputs.config, { conceal: true })
  const publicKeys = configKeyList(inputs, Inputs.publicConfigKeys, config)
  const secretKeys = configKeyList(inputs, Inputs.secretConfigKeys, config)
  const both = [...publicKeys].filter((key) => secretKeys.has(key))
  if (both.length > 0)
    throw new ConfigurationError(
      `Inputs "${Inputs.publicConfigKeys}" and "${Inputs.secretConfigKeys}" both list ${both.join(', ')}. Keep each key in one of them.`,
      Inputs.publicConfigKeys
    )
  const masked = registerConfigSecrets(config, { publicKeys, secretKeys })
  for (const [key, value] of config) {
    if (!hasEmptyHost(value)) continue
    const shown = masked.includes(key) ? '' : ` (${JSON.stringify(value)})`
    throw new ConfigurationError(
      `Input "${Inputs.config}" sets ${key} to a URL with no host, or an empty part in it${shown}. It is built from a variable that is unset or empty ` +
        '(e.g. https://${{ vars.URO_DOMAIN }}/): set that variable in the repository or environment, or remove the key.',
      Inputs.config
    )
  }
  // What no Dokku from 0.37.8 on (godotenv 1.5.1) can store is refused before connecting; the quirks
  // of the older godotenv are checked once the host's version is known.
  const unstorable = unstorableConfigMessage(Object.fromEntries(config), 'godotenv-1.5.1')
  if (unstorable) throw new ConfigurationError(`Input "${Inputs.config}": ${unstorable}`, Inputs.config)
  if (config.size > 0) checkConfigSendable(config)
  return { config, masked }
}

const MAX_BRANCH_NAME = 255

/** The values travel base64-encoded in one config:set (configSetArgv): each must fit one forced-command argument, all of them one command. */
function checkConfigSendable(config: ReadonlyMap<string, string>): void {
  const { argv } = configSetArgv('app', Object.fromEntries(config))
  const refuse = (what: string, problem: string) =>
    new ConfigurationError(`Input "${Inputs.config}": ${what} cannot be sent to Dokku in one config:set: ${problem}. Keep large files out of the config (in storage or the image).`, Inputs.config)
  const encoded = argv.slice(argv.length - config.size)
  for (const [i, key] of [...config.keys()].entries()) {
    const problem = forcedCommandArgumentProblem(encoded[i] as string)
    if (problem) throw refuse(`the value of ${key} (${Buffer.byteLength(config.get(key) as string)} bytes)`, problem)
  }
  try {
    buildRemoteCommand('dokku-forced-command', argv)
  } catch (error) {
    if (error instanceof UnsendableArgumentError) throw refuse('the values together', error.message.replace(/^argument \d+ cannot be sent over SSH: /, ''))
    throw error
  }
}

/** A list of config keys, one a line or separated by commas or spaces; each must be a key `config` sets. */
function configKeyList(inputs: InputReader, name: string, config: ReadonlyMap<string, string>): Set<string> {
  const keys = inputs
    .list(name)
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((key) => key !== '')
  for (const key of keys) {
    if (!CONFIG_KEY.test(key)) throw invalid(name, key, 'must list config keys', 'Write the keys as in config (letters, digits, underscores), one a line or separated by commas.')
    if (!config.has(key)) throw invalid(name, key, `names a key that ${Inputs.config} does not set`, `Remove it, or add ${key}=… to ${Inputs.config}.`)
  }
  return new Set(keys)
}

function deployBranch(inputs: InputReader): string {
  const branch = inputs.string(Inputs.branch, 'main')
  // The branch travels in `git:set` and in a push refspec: no whitespace, nothing git refuses in a ref name.
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith('-') || branch.includes('..') || branch.endsWith('/') || branch.endsWith('.lock'))
    throw invalid(Inputs.branch, branch, 'must be a branch name', 'For example main or master.')
  // Git keeps a branch as a file under refs/heads: a longer name than a file name may have fails on the host.
  if (branch.length > MAX_BRANCH_NAME) throw invalid(Inputs.branch, branch, `is ${branch.length} characters long; a branch name has at most ${MAX_BRANCH_NAME} here`, 'For example main or master.')
  return branch
}

/** `<app>-pr-<n>` by default, cut to a DNS label (the app name becomes `<app>.<domain>`). */
function reviewAppName(inputs: InputReader, baseApp: string, event: EventContext): string {
  const explicit = inputs.optional(Inputs.reviewAppName)
  if (explicit !== undefined) return checkAppName(Inputs.reviewAppName, explicit)
  if (!event.pullRequest)
    throw new ConfigurationError(
      `Input "${Inputs.reviewApp}" needs a pull request to name the review app, and this run (${event.eventName ?? 'outside GitHub'}) has none. Run it on pull_request events, or set ${Inputs.reviewAppName}.`,
      Inputs.reviewAppName
    )
  const suffix = `-pr-${event.pullRequest.number}`
  const name = `${baseApp.slice(0, MAX_REVIEW_APP_NAME - suffix.length).replace(/[.-]+$/, '')}${suffix}`
  return checkAppName(Inputs.reviewAppName, name)
}
