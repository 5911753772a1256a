// The stack file, resource by resource, in each converger's own terms: every resource is read
// through the readers of the action that converges it (the same checks, defaults and messages),
// with the root action's SSH inputs; a problem is reported at the line of the file that caused it.
import type { CaddyConfig } from '../caddy-config/inputs.js'
import { readCaddyInputs } from '../caddy-config/inputs.js'
import { readDeployInputs, type DeployConfig } from '../dokku-deploy/inputs.js'
import { readServiceInputs, type ServiceConfig } from '../dokku-service/inputs.js'
import { readSeaweedInputs, type SeaweedConfig } from '../seaweed-provision/inputs.js'
import type { AppRequest } from '../../core/converge/app.js'
import { STORAGE_NAME } from '../../core/dokku/forms.js'
import { ConfigurationError } from '../../core/errors.js'
import type { RunContext } from '../../core/github/context.js'
import type { InputReader } from '../../core/inputs/readers.js'
import { looksLikeCredentialKey, registerSecret } from '../../core/secrets.js'
import { cockroachNames } from '../../core/services/cockroach.js'
import type { AppSpec, StackFile, StackPath } from '../../core/stack/model.js'
import { Inputs, type StackSettings } from './inputs.js'

export interface StackApp {
  name: string
  request: AppRequest
  /** One dokku-service config per service the app links, in the file's order. */
  links: ServiceConfig[]
  deploy: DeployConfig | undefined
  /** Routed through Caddy when the app has domains. */
  proxy: CaddyConfig | undefined
}

export interface StackResources {
  /** Each service once, provisioned without an app. */
  services: ServiceConfig[]
  objectStore: SeaweedConfig | undefined
  apps: StackApp[]
  /** The host-wide Caddy settings when no app is routed (with a routed app they go with it). */
  proxyOnly: CaddyConfig | undefined
  /** Every Dokku app the file owns, in the host's terms (apps, the store, cockroach services). */
  ownedApps: Set<string>
}

/** The error a resource's reader raised, moved to the line of the stack file it came from. */
function at(stack: StackFile, path: StackPath, read: () => void): void {
  try {
    read()
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error
    const where = stack.locate(path)
    throw new ConfigurationError(`${where.file}:${where.line} (${path.join('.')}): ${error.message}`, Inputs.stackFile)
  }
}

function readAt<T>(stack: StackFile, path: StackPath, read: () => T): T {
  let value: T | undefined
  at(stack, path, () => {
    value = read()
  })
  return value as T
}

/**
 * Everything the stack needs, checked before connecting: secrets from `env` (each registered as
 * a secret the moment it is read), names, images, domains.
 */
export function stackResources(stack: StackFile, settings: StackSettings, inputs: InputReader, context: RunContext, env: NodeJS.ProcessEnv): StackResources {
  const { spec } = stack
  const dryRun = String(settings.mode !== 'apply')
  const services = Object.entries(spec.services).map(([name, service]) =>
    readAt(stack, ['services', name], () =>
      readServiceInputs(
        inputs.overlay({
          ...serviceDefaults,
          engine: service.engine,
          service: name,
          image: service.image ?? '',
          memory: service.memory === undefined ? '' : String(service.memory),
          'dry-run': dryRun
        })
      )
    )
  )
  const tls = spec.proxy?.tls === 'internal' ? 'internal' : 'acme'
  const proxyValues = {
    ...caddyDefaults,
    'letsencrypt-email': spec.proxy?.letsencryptEmail ?? '',
    tls,
    verify: String(settings.verify),
    'dry-run': dryRun
  }
  const apps = Object.entries(spec.apps).map(([name, app]) => stackApp(stack, name, app, services, { inputs, context, env, dryRun, proxyValues, routed: spec.proxy !== undefined }))

  let objectStore: SeaweedConfig | undefined
  const store = spec.objectStore
  if (store) {
    const access = Object.entries(store.access).map(([app, buckets]) => {
      const levels = new Set(Object.values(buckets))
      if (levels.size > 1) throw located(stack, ['object-store', 'access', app], `gives ${app} different access levels per bucket; one level an app is supported. Give every bucket of ${app} the same level (read or readwrite).`)
      if (!(app in spec.apps)) throw located(stack, ['object-store', 'access', app], `names app ${app}, which is not under apps. Add it there, or remove its line.`)
      return `${app} ${Object.keys(buckets).join(',')} ${[...levels][0] ?? 'read'}`
    })
    const endpoint = settings.objectStoreEndpoint ?? (store.domain ? `https://${store.domain}` : undefined)
    if (endpoint === undefined)
      throw located(stack, ['object-store'], `has no domain, and input "${Inputs.objectStoreEndpoint}" is empty: the runner must reach the store's S3 port to create buckets and identities. Give the store a domain (routed through the proxy), or set ${Inputs.objectStoreEndpoint}.`)
    objectStore = readAt(stack, ['object-store'], () =>
      readSeaweedInputs(
        inputs.overlay({
          ...seaweedDefaults,
          app: store.app,
          image: store.image ?? '',
          buckets: store.buckets.join('\n'),
          access: access.join('\n'),
          domain: store.domain ?? '',
          tls,
          endpoint,
          region: store.region ?? '',
          'dry-run': dryRun
        })
      )
    )
  }

  const ownedApps = new Set([
    ...Object.keys(spec.apps),
    ...(store ? [store.app] : []),
    ...Object.entries(spec.services).filter(([, s]) => s.engine === 'cockroach').map(([name]) => cockroachNames(name).app)
  ])
  const routed = apps.some((app) => app.proxy !== undefined)
  const proxyOnly = spec.proxy && !routed ? readAt(stack, ['proxy'], () => readCaddyInputs(inputs.overlay(proxyValues))) : undefined
  return { services, objectStore, apps, proxyOnly, ownedApps }
}

function located(stack: StackFile, path: StackPath, message: string): ConfigurationError {
  const where = stack.locate(path)
  return new ConfigurationError(`${where.file}:${where.line} (${path.join('.')}) ${message}`, Inputs.stackFile)
}

interface AppContext {
  inputs: InputReader
  context: RunContext
  env: NodeJS.ProcessEnv
  dryRun: string
  proxyValues: Record<string, string>
  routed: boolean
}

function stackApp(stack: StackFile, name: string, app: AppSpec, services: readonly ServiceConfig[], ctx: AppContext): StackApp {
  const path = ['apps', name]
  at(stack, path, () => ctx.inputs.overlay({ app: name }).appName('app'))
  const secrets: Record<string, string> = {}
  app.secrets.forEach((key, i) => {
    const value = ctx.env[key]
    if (value === undefined || value === '')
      throw located(
        stack,
        [...path, 'secrets', i],
        `lists the secret ${key}, but the step's environment has no variable ${key}. Pass it to the step: env: { ${key}: \${{ secrets.${key} }} }.`
      )
    registerSecret(value)
    secrets[key] = value
  })
  for (const [key, value] of Object.entries(app.config)) {
    if (key in secrets) throw located(stack, [...path, 'config', key], `sets ${key}, which is also listed under secrets. Keep it in one of the two.`)
    // A credential typed into the file is still a credential: masked like dokku-deploy's config (core/secrets.ts).
    if (looksLikeCredentialKey(key)) registerSecret(value)
  }
  app.storage.forEach((mount, i) => {
    if (!STORAGE_NAME.test(mount.source))
      throw located(stack, [...path, 'storage', i], `mounts ${mount.source}, which is not a Dokku storage name (host paths are not supported yet). Use a name such as uploads: Dokku keeps it under /var/lib/dokku/data/storage.`)
    if (!mount.target.startsWith('/') || /[\s:]/.test(mount.target))
      throw located(stack, [...path, 'storage', i], `mounts at ${mount.target}, which is not an absolute path without spaces. For example uploads:/app/uploads.`)
  })
  const links = app.services.map((service, i) => {
    const provisioned = services.find((s) => s.service === service)
    if (!provisioned) throw located(stack, [...path, 'services', i], `links service ${service}, which is not under services. Add it there, or remove it here.`)
    return { ...provisioned, app: name, createApp: true }
  })
  const routedHere = app.domains.length > 0
  const proxy = routedHere
    ? readAt(stack, [...path, 'domains'], () =>
        readCaddyInputs(
          ctx.inputs.overlay({
            ...ctx.proxyValues,
            app: name,
            domains: app.domains.join('\n'),
            port: app.port === undefined ? '' : String(app.port),
            'health-path': app.healthcheck?.path ?? ''
          })
        )
      )
    : undefined
  const deploy = app.deploy
    ? readAt(stack, [...path, 'deploy'], () =>
        readDeployInputs(
          ctx.inputs.overlay({
            ...deployDefaults,
            app: name,
            ...('image' in app.deploy! ? { source: 'image', image: app.deploy.image } : { source: 'git', branch: app.deploy!.branch ?? '' }),
            'dry-run': ctx.dryRun
          }),
          { eventName: ctx.context.eventName, sha: ctx.context.sha, pullRequest: undefined, workspace: ctx.context.workspace }
        )
      )
    : undefined
  return {
    name,
    request: {
      app: name,
      config: app.config,
      secrets,
      storage: app.storage,
      // Caddy's converger holds the port map of a routed app; an app without domains gets Dokku's plain http:80.
      ports: !routedHere && app.port !== undefined ? [`http:80:${app.port}`] : undefined
    },
    links,
    deploy,
    proxy
  }
}

// Every input of the converger's action that the file does not set, set empty, so that none falls
// through to a root action input of the same name.
const serviceDefaults = {
  app: '', 'create-app': '', 'image-version': '', 'link-alias': '', querystring: '', 'custom-env': '', 'shm-size': '', 'config-options': '', upgrade: '',
  'install-plugins': '', destroy: '', 'confirm-destroy': ''
}
const caddyDefaults = { 'letsencrypt-server': '', 'log-level': '', app: '', domains: '', port: '', labels: '', 'health-path': '', redirects: '' }
const seaweedDefaults = { 'env-names': '', rotate: '', 'app-endpoint': '', 'self-test': 'false', 'admin-password': '', 'health-timeout': '' }
// Health is checked through the proxy once the app is routed (the stack's healthcheck path), not by the deploy step.
const deployDefaults = {
  image: '', branch: '', ref: '', config: '', 'public-config-keys': '', 'secret-config-keys': '', 'create-app': 'true', 'healthcheck-url': 'none',
  'healthcheck-status': '', 'healthcheck-timeout': '', rollback: '', 'lock-timeout': '', 'review-app': '', 'review-app-name': '', 'github-token': '', environment: '', path: ''
}
