import { randomBytes } from 'node:crypto'
import { planOrExplain } from '../../core/converge/plan.js'
import { canRunAsRoot, withDokkuHost, type DokkuHost } from '../../core/converge/host.js'
import type { DokkuClient } from '../../core/dokku/client.js'
import type { ServiceCommands } from '../../core/dokku/commands/services.js'
import { UnfulfilledCommandError } from '../../core/dokku/errors.js'
import { unlessAbsent } from '../../core/dokku/read-memo.js'
import { hasDockerOption } from '../../core/dokku/parse/docker-options.js'
import type { Report } from '../../core/dokku/parse/report.js'
import type { Outcome } from '../../core/dokku/runner.js'
import { errorMessage } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { registerSecret } from '../../core/secrets.js'
import { COCKROACH_KEYS, cockroachNames } from '../../core/services/cockroach.js'
import { SERVICE_PLUGIN_SOURCES, serviceLinkOption, withQuerystring, withScheme } from '../../core/services/plugins.js'
import type { ServiceConfig } from './inputs.js'
import {
  planService,
  renderPlan,
  stepTitle,
  type AttachedNetworks,
  type CockroachObservation,
  type PluginObservation,
  type ServiceObservation,
  type ServicePlan,
  type ServiceStep
} from './plan.js'

export interface ServiceResult {
  plan: ServicePlan
  observed: ServiceObservation
  /** Something on the host changed. */
  changed: boolean
  /** The URL the app holds now (or the service's own); registered as a secret. */
  url: string | undefined
  /** One line per step that ran. */
  done: string[]
  /** Warnings: the plan's notices plus what applying found (left-over directories, a restart still owed…). */
  notices: string[]
  /** The plan's notes. */
  notes: string[]
  failure: Error | undefined
  durationMs: number
}

/** dokku-service over its own connection. */
export async function provisionService(config: ServiceConfig, logger: Logger): Promise<ServiceResult> {
  return withDokkuHost(config.ssh, logger, (host) => convergeService(host, config, logger))
}

/** Observes the host, plans, prints the plan and, unless this is a dry run, applies it, over the given connection. */
export async function convergeService(host: DokkuHost, config: ServiceConfig, logger: Logger): Promise<ServiceResult> {
  const started = Date.now()
  const { dokku } = host
  const observed = await observeService(host, config)
  const plan = planOrExplain(() => planService(config, observed))
  await logger.group(`Plan for ${config.engine} service ${config.service}${config.dryRun ? ' (dry run: nothing will change)' : ''}`, async () => {
    for (const line of renderPlan(config, plan)) logger.info(line)
  })
  for (const notice of plan.notices) logger.warning(notice)
  const result: ServiceResult = { plan, observed, changed: false, url: undefined, done: [], notices: [...plan.notices], notes: plan.notes, failure: undefined, durationMs: 0 }
  if (!config.dryRun && plan.steps.length > 0) {
    const ran = new Set<ServiceStep>()
    try {
      for (const step of plan.steps) {
        const changed = await logger.group(stepTitle(config, step), () => runStep({ dokku, config, plan, observed, logger, result }, step))
        ran.add(step)
        if (changed) {
          result.changed = true
          result.done.push(stepTitle(config, step))
        }
      }
    } catch (error) {
      result.failure = error instanceof Error ? error : new Error(String(error))
      logger.warning(`Stopped at a failed step after ${result.done.length} change(s); the next run observes what is there and finishes the job: ${errorMessage(error)}`)
      // The one thing a next run cannot see: an app whose environment changed but that was never
      // restarted runs on with the old one, and looks converged.
      const owed = plan.steps.find((s) => s.kind === 'restart-app' && !ran.has(s) && s.app === config.app)
      if (owed && plan.steps.some((s) => ran.has(s) && touchesApp(s, config.app))) {
        const notice = `${config.app}'s config changed but it was not restarted, and a next run cannot tell: run \`dokku ps:restart ${config.app}\`.`
        result.notices.push(notice)
        logger.warning(notice)
      }
    }
  }
  if (!config.destroy && !result.failure) result.url = await finalUrl(dokku, config, plan, observed)
  if (result.url) registerSecret(result.url)
  result.durationMs = Date.now() - started
  return result
}

/** Steps that change what the linked app runs with (its environment, links or networks). */
function touchesApp(step: ServiceStep, app: string | undefined): boolean {
  return step.kind === 'clean-link' || step.kind === 'link' || step.kind === 'set-url' || step.kind === 'upgrade-service' || (step.kind === 'attach-network' && step.app === app)
}

// ---- observe: few reads, in parallel over the one connection -------------------------------------

/** What the plan is made from: the service, its plugin and the app it is linked to, as the host has them now. */
export function observeService(host: DokkuHost, config: ServiceConfig): Promise<ServiceObservation> {
  return config.engine === 'cockroach' ? observeCockroach(host.dokku, config) : observePlugin(host.dokku, config, canRunAsRoot(host))
}

function pluginCommands(dokku: DokkuClient, config: ServiceConfig): ServiceCommands {
  if (config.engine === 'cockroach') throw new Error('cockroach has no plugin')
  return dokku[config.engine]
}

async function observePlugin(dokku: DokkuClient, config: ServiceConfig, canInstallPlugins: boolean): Promise<PluginObservation> {
  const commands = pluginCommands(dokku, config)
  const app = config.app
  // Every read at once, one round trip: the service's and the app's are sent before it is known
  // that they exist, and left unread (their failure unseen) when they do not.
  const exists = unlessAbsent(commands.exists(config.service))
  const info = unlessAbsent(commands.info(config.service))
  const appReads = app === undefined ? undefined : unlessAbsent(Promise.all([dokku.config.export(app), dokku.dockerOptions.report(app), dokku.ps.report(app), dokku.scheduler.selected(app)]))
  const [plugins, appExists] = await Promise.all([dokku.plugins.list(), app === undefined ? Promise.resolve(false) : dokku.apps.exists(app)])
  const entry = plugins.find((p) => p.name === commands.plugin)
  const plugin = entry === undefined ? 'missing' : entry.enabled ? 'enabled' : 'disabled'
  const serviceExists = plugin === 'enabled' ? await exists : false
  const [serviceInfo, appState] = await Promise.all([serviceExists ? info : undefined, appExists ? appReads : undefined])
  const [appConfig, dockerOptions, ps, scheduler] = appState ?? [{}, undefined, undefined, undefined]
  return {
    kind: 'plugin',
    plugin,
    canInstallPlugins,
    service: serviceInfo ? { dsn: serviceInfo.dsn, version: serviceInfo.version, status: serviceInfo.status, links: serviceInfo.links, configOptions: serviceInfo.configOptions } : undefined,
    app:
      app === undefined
        ? undefined
        : {
            name: app,
            exists: appExists,
            deployed: ps?.deployed ?? false,
            config: appConfig,
            ...(scheduler === undefined ? {} : { scheduler }),
            dockerLink: dockerOptions ? hasDockerOption(dockerOptions.deploy, serviceLinkOption(commands.plugin, config.service)) : false
          }
  }
}

async function observeCockroach(dokku: DokkuClient, config: ServiceConfig): Promise<CockroachObservation> {
  const names = cockroachNames(config.service)
  const app = config.app
  const [serviceExists, appExists, networkExists] = await Promise.all([
    dokku.apps.exists(names.app),
    app === undefined ? Promise.resolve(false) : dokku.apps.exists(app),
    dokku.network.exists(names.network)
  ])
  const service = serviceExists
    ? await Promise.all([
        dokku.config.export(names.app),
        dokku.storage.list(names.app),
        dokku.checks.report(names.app),
        dokku.proxy.report(names.app),
        dokku.ps.report(names.app),
        dokku.network.report(names.app),
        dokku.resource.report(names.app),
        dokku.apps.report(names.app)
      ])
    : undefined
  const appState =
    app !== undefined && appExists ? await Promise.all([dokku.config.export(app), dokku.network.report(app), dokku.ps.report(app)]) : undefined
  if (service) registerSecret(service[0][COCKROACH_KEYS.password])
  const newPassword = randomBytes(24).toString('hex')
  registerSecret(newPassword)
  return {
    kind: 'cockroach',
    networkExists,
    newPassword,
    envFile: dokku.features.envFile,
    service: service
      ? (([cfg, mounts, checks, proxy, ps, network, resource, report]) => ({
          config: cfg,
          mounts,
          checksDisabled: checks.disabled.includes('_all_') || checks.disabled.includes('web'),
          proxyEnabled: proxy.enabled,
          restartPolicy: ps.raw['computed-restart-policy'] || ps.raw['restart-policy'] || '',
          networks: attachedNetworks(network),
          tld: network['computed-tld'] ?? network['tld'] ?? '',
          memoryLimit: resource['_default_-limit-memory'] ?? '',
          deployed: ps.deployed,
          deployedImage: report.deploySource === 'docker-image' && report.deploySourceMetadata ? report.deploySourceMetadata : undefined
        }))(service)
      : undefined,
    app:
      app === undefined
        ? undefined
        : {
            name: app,
            exists: appExists,
            deployed: appState?.[2].deployed ?? false,
            config: appState?.[0] ?? {},
            networks: appState ? attachedNetworks(appState[1]) : { postCreate: [], postDeploy: [] }
          }
  }
}

/** `network:report`: attach-post-create / attach-post-deploy are stored comma-joined (docs/dokku-contract.md#network). */
function attachedNetworks(report: Report): AttachedNetworks {
  const list = (value: string | undefined) => (value ?? '').split(/[,\s]+/).filter((n) => n !== '')
  return { postCreate: list(report['attach-post-create']), postDeploy: list(report['attach-post-deploy']) }
}

// ---- apply ----------------------------------------------------------------------------------------------

interface ServiceRun {
  dokku: DokkuClient
  config: ServiceConfig
  plan: ServicePlan
  observed: ServiceObservation
  logger: Logger
  result: ServiceResult
}

/** Runs one step; returns whether it changed the host. */
async function runStep(run: ServiceRun, step: ServiceStep): Promise<boolean> {
  const { dokku, config, plan, logger } = run
  const stream = { onOutput: (line: string) => logger.info(line) }
  const svc = config.service
  const app = config.app as string
  const changed = (outcome: Outcome) => outcome.changed
  switch (step.kind) {
    case 'install-plugin': {
      const source = SERVICE_PLUGIN_SOURCES[step.plugin]
      return changed(await dokku.plugins.install(source.url, { name: source.plugin, committish: source.committish }))
    }
    case 'create-service':
      // Its output prints the DSN: the client neither streams nor shows it.
      return changed(
        await pluginCommands(dokku, config).create(svc, {
          ...(config.image === undefined ? {} : { image: config.image }),
          ...(config.imageVersion === undefined ? {} : { imageVersion: config.imageVersion }),
          ...(config.customEnv.size === 0 ? {} : { customEnv: Object.fromEntries(config.customEnv) }),
          ...(config.memory === undefined ? {} : { memory: config.memory }),
          ...(config.shmSize === undefined ? {} : { shmSize: config.shmSize }),
          ...(config.configOptions === undefined ? {} : { configOptions: config.configOptions })
        })
      )
    case 'upgrade-service':
      // Linked apps are restarted by this plan (once each), not by the plugin.
      return changed(await pluginCommands(dokku, config).upgrade(svc, { image: step.image, imageVersion: step.imageVersion, restartApps: false }))
    case 'create-app':
      return changed(await dokku.apps.create(step.app))
    case 'clean-link': {
      // unlink removes the docker option and the LINKS entry before it finds no URL to unset and
      // exits 1 (docs/dokku-contract.md#service-unlink): that cleanup is what this step is for, so "absent" is fine here.
      if (step.unlink) await pluginCommands(dokku, config).unlink(svc, app, { restart: false })
      if (step.unset.length > 0) await dokku.config.unset(app, step.unset, { restart: false })
      return true
    }
    case 'link':
      return changed(
        await pluginCommands(dokku, config).link(svc, app, { alias: config.alias, ...(config.querystring ? { querystring: config.querystring } : {}), restart: false })
      )
    case 'set-url': {
      if (plan.url === undefined) throw new Error(`the URL of ${svc} is not known yet`)
      return changed(await dokku.config.set(app, { [step.variable]: plan.url }, { restart: false }))
    }
    case 'unlink':
      return changed(await pluginCommands(dokku, config).unlink(svc, app, { restart: false }))
    case 'unset-url':
      return changed(await dokku.config.unset(app, step.variables, { restart: false }))
    case 'destroy-service':
      if (config.engine === 'cockroach') await dokku.apps.destroy(svc)
      else await pluginCommands(dokku, config).destroy(svc)
      return true
    case 'mount-storage':
      // Owned by root: the image runs as root and the entrypoint writes certificates there (docs/dokku-contract.md#cockroach-app).
      return changed(await dokku.storage.ensureMount(svc, step.storage, step.containerDir, { chown: 'root' }))
    case 'set-service-config': {
      const values = plan.serviceConfig ?? {}
      return changed(await dokku.config.set(svc, Object.fromEntries(step.keys.map((key) => [key, values[key] as string])), { restart: false }))
    }
    case 'disable-checks':
      await dokku.checks.disable(svc)
      return true
    case 'set-restart-policy':
      await dokku.ps.set(svc, 'restart-policy', step.policy)
      return true
    case 'disable-proxy':
      await dokku.proxy.disable(svc)
      return true
    case 'limit-memory':
      await dokku.resource.limit(svc, { memory: step.memory })
      return true
    case 'create-network':
      return changed(await dokku.network.ensure(step.network))
    case 'attach-network':
      await dokku.network.set(step.app, 'attach-post-create', ...step.networks)
      return true
    case 'deploy-image':
      return deployImage(run, step.image, stream)
    case 'restart-service':
      return changed(await dokku.ps.restart(svc, stream))
    case 'stop-service':
      return changed(await dokku.ps.stop(svc))
    case 'destroy-storage':
      return destroyStorage(run, step.storage, step.containerDir)
    case 'restart-app': {
      const outcome = await dokku.ps.restart(step.app, stream)
      if (!outcome.changed) logger.info(`${step.app} has not been deployed; nothing to restart.`)
      return outcome.changed
    }
  }
}

async function deployImage(run: ServiceRun, image: string, stream: { onOutput: (line: string) => void }): Promise<boolean> {
  const { dokku, config, logger } = run
  // Also correct when the repository already names the image (a collided deploy left it there, DokkuClient.deployImage).
  const deployed = await dokku.deployImage(config.service, image, stream)
  if (!deployed.recorded) {
    logger.warning(`${config.service} was rebuilt from ${image}; Dokku records no deploy source for a rebuild, so apps:report does not name it.`)
    return true
  }
  const report = await dokku.apps.report(config.service)
  if (report.deploySource !== 'docker-image' || report.deploySourceMetadata !== image)
    throw new UnfulfilledCommandError(`finished, but the host reports ${report.deploySource || 'nothing'} ${report.deploySourceMetadata} as deployed, not ${image}`, {
      command: `dokku git:from-image ${config.service} ${image}`,
      exitCode: 0,
      stdout: '',
      stderr: ''
    })
  return true
}

async function destroyStorage(run: ServiceRun, storage: string, containerDir: string | undefined): Promise<boolean> {
  const { dokku, config, result } = run
  const path = `/var/lib/dokku/data/storage/${storage}`
  let changed = false
  if (containerDir !== undefined) changed = (await dokku.storage.unmount(config.service, storage, containerDir)).changed
  if (!dokku.features.namedStorage) {
    result.notices.push(`Dokku ${dokku.version.raw} has no storage:destroy: remove ${path} as root (\`rm -rf ${path}\`) before a service of this name is created again.`)
    return changed
  }
  const destroyed = await dokku.storage.destroy(storage, { destroyHostDir: true })
  if (destroyed.changed && !destroyed.hostDirRemoved)
    result.notices.push(`Dokku ${dokku.version.raw} keeps ${path} after storage:destroy (--destroy-host-dir needs 0.38.27): remove it as root (\`rm -rf ${path}\`) before a service of this name is created again.`)
  return changed || destroyed.changed
}

/** The URL to report: the one the app holds, or the service's own; read back for a service created just now. */
async function finalUrl(dokku: DokkuClient, config: ServiceConfig, plan: ServicePlan, observed: ServiceObservation): Promise<string | undefined> {
  if (observed.kind === 'cockroach') return config.dryRun && !observed.service ? undefined : plan.url
  if (plan.url !== undefined || config.dryRun) return plan.url
  const commands = pluginCommands(dokku, config)
  const dsn = (await commands.dsn(config.service)).dsn
  const scheme = observed.app?.config[SERVICE_PLUGIN_SOURCES[commands.plugin].schemeKey]
  return withQuerystring(withScheme(dsn, scheme), config.querystring)
}
