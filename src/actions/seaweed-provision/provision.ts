import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { CreateBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3'
import { planOrExplain } from '../../core/converge/plan.js'
import { withDokkuHost, type DokkuHost } from '../../core/converge/host.js'
import type { DokkuClient } from '../../core/dokku/client.js'
import { formatPortMap } from '../../core/dokku/parse/ports.js'
import type { Report } from '../../core/dokku/parse/report.js'
import { errorMessage } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { createS3Client, s3ErrorCode } from '../../core/s3/client.js'
import { SeaweedIam, type AccessKey } from '../../core/seaweed/iam.js'
import {
  BACKUP_IDENTITY,
  identityPolicy,
  SEAWEED_DATA_DIR,
  SEAWEED_KEYS,
  seaweedNames,
  seaweedWrapper,
  tarArchive
} from '../../core/seaweed/recipe.js'
import type { CaddyResult, PlanInputs } from '../../core/caddy/converge.js'
import { previewStoreRoute, routeStoreDomain, storeRoute, verifyStoreRoute, type StoreRoute } from '../../core/seaweed/routing.js'
import { registerSecret } from '../../core/secrets.js'
import { Inputs, type SeaweedConfig } from './inputs.js'
import {
  planSeaweed,
  POLICY_NAME,
  renderPlan,
  stepTitle,
  type AppState,
  type SeaweedObservation,
  type SeaweedPlan,
  type SeaweedStep,
  type StoreContents,
  type StoreState
} from './plan.js'
import { stepTitle as caddyStepTitle } from '../../core/caddy/plan.js'
import { runSelfTest, type SelfTestReport } from './self-test.js'
import { waitForStoreHealth } from './health.js'

export interface SeaweedResult {
  plan: SeaweedPlan | undefined
  changed: boolean
  done: string[]
  notices: string[]
  notes: string[]
  identities: string[]
  selfTest: SelfTestReport | undefined
  failure: Error | undefined
  durationMs: number
}

interface ApplyRun {
  dokku: DokkuClient
  config: SeaweedConfig
  plan: SeaweedPlan
  logger: Logger
  wrapper: ReturnType<typeof seaweedWrapper>
  /** Keys created on this run, by holder (an app, or the store app for the backup identity). */
  newKeys: Map<string, AccessKey>
  iam: () => SeaweedIam
  s3: () => S3Client
  /** The route applied on this run, and when. */
  routed: { result: CaddyResult; at: number } | undefined
  /** Caddy's routing rebuilt the store on this run, with every setting it holds by then. */
  storeRebuilt: boolean
}

/** A Caddy refusal (no email, Caddy not running, the store app) is about this action's `domain`. */
const ROUTE_INPUTS: PlanInputs = { 'letsencrypt-email': Inputs.domain, app: Inputs.domain, caddy: Inputs.domain }

/** seaweed-provision over its own connection. */
export async function provisionSeaweed(config: SeaweedConfig, logger: Logger): Promise<SeaweedResult> {
  return withDokkuHost(config.ssh, logger, (host) => convergeSeaweed(host, config, logger))
}

/** Observes the host and the store, plans, prints the plan and, unless this is a dry run, applies it, over the given connection. */
export async function convergeSeaweed(host: DokkuHost, config: SeaweedConfig, logger: Logger): Promise<SeaweedResult> {
  const started = Date.now()
  const result: SeaweedResult = { plan: undefined, changed: false, done: [], notices: [], notes: [], identities: config.access.map((g) => g.app), selfTest: undefined, failure: undefined, durationMs: 0 }
  let s3: S3Client | undefined
  try {
    const { dokku } = host
    const wrapper = seaweedWrapper(config.image.reference, { adminUi: config.adminPassword !== undefined })
    const route = config.domain ? storeRoute(config.app, config.domain, config.tls) : undefined
    const observed = await observe(dokku, config, wrapper.digest, logger)
    // The store's route, planned by Caddy's planner and printed before anything changes; refused now, not halfway.
    if (route) {
      const preview = await previewStoreRoute(dokku, route, logger, ROUTE_INPUTS, observed.store !== undefined)
      if (preview.failure) throw preview.failure
      if (observed.store) observed.route = { steps: preview.plan.steps.map(routeStepTitle) }
    }
    const plan = planOrExplain(() => planSeaweed(config, observed))
    for (const key of [SEAWEED_KEYS.adminSecretKey, SEAWEED_KEYS.adminPassword]) registerSecret(plan.storeConfig[key])
    result.plan = plan
    result.notices.push(...plan.notices)
    result.notes.push(...plan.notes)
    await logger.group(`Plan for SeaweedFS app ${config.app}${config.dryRun ? ' (dry run: nothing will change)' : ''}`, async () => {
      for (const line of renderPlan(config, plan)) logger.info(line)
    })
    for (const notice of plan.notices) logger.warning(notice)
    if (config.dryRun) return result

    const admin = { accessKeyId: plan.storeConfig[SEAWEED_KEYS.adminAccessKey] as string, secretAccessKey: plan.storeConfig[SEAWEED_KEYS.adminSecretKey] as string }
    let iam: SeaweedIam | undefined
    const run: ApplyRun = {
      dokku,
      config,
      plan,
      logger,
      wrapper,
      newKeys: new Map(),
      iam: () => (iam ??= new SeaweedIam(config.endpoint, config.region, admin)),
      s3: () => (s3 ??= createS3Client({ endpoint: config.endpoint, region: config.region, ...admin })),
      routed: undefined,
      storeRebuilt: false
    }
    try {
      for (const step of plan.steps) {
        const changed = await logger.group(stepTitle(config, step), () => runStep(run, step))
        if (changed) {
          result.changed = true
          result.done.push(stepTitle(config, step))
        }
      }
    } catch (error) {
      result.failure = error instanceof Error ? error : new Error(String(error))
      logger.warning(`Stopped at a failed step after ${result.done.length} change(s); the next run observes what is there and finishes the job: ${errorMessage(error)}`)
      return result
    }
    if (route && run.routed?.result.changed) {
      try {
        await verifyStoreRoute(dokku, route, run.routed.result, run.routed.at, logger)
      } catch (error) {
        result.failure = error instanceof Error ? error : new Error(String(error))
        return result
      }
    }
    if (config.selfTest) {
      const grant = config.access.find((g) => g.access === 'readwrite') ?? config.access[0]
      if (!grant) result.notes.push('No app has access, so there is no app key to self-test with: self-test skipped.')
      else {
        const key = run.newKeys.get(grant.app) ?? (await appKey(dokku, config, grant.app))
        result.selfTest = await runSelfTest({ endpoint: config.endpoint, region: config.region, key, grant, allBuckets: config.buckets, logger })
        if (result.selfTest.failed.length > 0) result.failure = new Error(`The S3 self-test of ${config.endpoint} with ${grant.app}'s key failed: ${result.selfTest.failed.join(', ')}.`)
      }
    }
    return result
  } finally {
    s3?.destroy()
    result.durationMs = Date.now() - started
  }
}

async function appKey(dokku: DokkuClient, config: SeaweedConfig, app: string): Promise<AccessKey> {
  const values = await dokku.config.export(app)
  const key = { accessKeyId: values[config.envNames.AWS_ACCESS_KEY_ID] ?? '', secretAccessKey: values[config.envNames.AWS_SECRET_ACCESS_KEY] ?? '' }
  registerSecret(key.secretAccessKey)
  return key
}

// ---- observe ----------------------------------------------------------------------------------------

async function observe(dokku: DokkuClient, config: SeaweedConfig, wrapperDigest: string, logger: Logger): Promise<SeaweedObservation> {
  const names = seaweedNames(config.app)
  const [storeExists, networkExists, ...appsExist] = await Promise.all([
    dokku.apps.exists(config.app),
    dokku.network.exists(names.network),
    ...config.access.map((g) => dokku.apps.exists(g.app))
  ])
  const store: StoreState | undefined = storeExists
    ? await Promise.all([
        dokku.config.export(config.app),
        dokku.storage.list(config.app),
        dokku.checks.report(config.app),
        dokku.ps.getScale(config.app),
        dokku.network.report(config.app),
        dokku.ps.report(config.app),
        dokku.ports.report(config.app)
      ]).then(([cfg, mounts, checks, scale, network, ps, ports]) => ({
        config: cfg,
        mounts,
        checksDisabled: checks.disabled.includes('_all_') || checks.disabled.includes('web'),
        scale,
        networks: attached(network),
        tld: network['computed-tld'] ?? network['tld'] ?? '',
        deployed: ps.deployed,
        ports: ports.map.map(formatPortMap)
      }))
    : undefined
  for (const key of [SEAWEED_KEYS.adminSecretKey, SEAWEED_KEYS.backupSecretKey, SEAWEED_KEYS.adminPassword]) registerSecret(store?.config[key])
  const apps: Record<string, AppState> = {}
  await Promise.all(
    config.access.map(async (grant, i) => {
      if (!appsExist[i]) {
        apps[grant.app] = { exists: false, deployed: false, config: {}, networks: { postCreate: [] } }
        return
      }
      const [cfg, network, ps] = await Promise.all([dokku.config.export(grant.app), dokku.network.report(grant.app), dokku.ps.report(grant.app)])
      registerSecret(cfg[config.envNames.AWS_SECRET_ACCESS_KEY])
      apps[grant.app] = { exists: true, deployed: ps.deployed, config: cfg, networks: attached(network) }
    })
  )
  const newAdmin = { accessKeyId: `DS${randomBytes(9).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') }
  registerSecret(newAdmin.secretAccessKey)
  let contents: StoreContents | undefined
  if (store?.deployed && store.config[SEAWEED_KEYS.adminAccessKey] && store.config[SEAWEED_KEYS.adminSecretKey]) {
    const admin = { accessKeyId: store.config[SEAWEED_KEYS.adminAccessKey] as string, secretAccessKey: store.config[SEAWEED_KEYS.adminSecretKey] as string }
    await withLogs(dokku, config, () => waitForStore(dokku, config, logger, 'is deployed but'))
    contents = await readContents(config, admin)
  }
  return { store, networkExists, apps, contents, newAdmin, wrapperDigest, route: undefined, envFile: dokku.features.envFile }
}

function routeStepTitle(step: CaddyResult['plan']['steps'][number]): string {
  return `${caddyStepTitle(step)} (${step.reason})`
}

function attached(report: Report): { postCreate: string[] } {
  return { postCreate: (report['attach-post-create'] ?? '').split(/[,\s]+/).filter((n) => n !== '') }
}

/** Buckets, and the identities this action manages, read with the admin key. */
async function readContents(config: SeaweedConfig, admin: AccessKey): Promise<StoreContents> {
  const s3 = createS3Client({ endpoint: config.endpoint, region: config.region, ...admin })
  try {
    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '').filter((n) => n !== '')
    const iam = new SeaweedIam(config.endpoint, config.region, admin)
    const managed = (await iam.listUsers()).filter((u) => u === BACKUP_IDENTITY || u.startsWith('app-'))
    const users: Record<string, { keys: string[]; actions: string[] }> = {}
    await Promise.all(
      managed.map(async (user) => {
        const [keys, actions] = await Promise.all([iam.listAccessKeys(user), iam.userActions(user, POLICY_NAME)])
        users[user] = { keys, actions }
      })
    )
    return { buckets, users }
  } catch (error) {
    throw new Error(`SeaweedFS at ${config.endpoint} answers /healthz but refused the admin key the app ${config.app} holds: ${errorMessage(error)}`, { cause: error })
  } finally {
    s3.destroy()
  }
}

/** The store's own health wait (./health.ts), with what the sentence about the app says. */
function waitForStore(dokku: DokkuClient, config: SeaweedConfig, logger: Logger, what: string): Promise<void> {
  return waitForStoreHealth({ dokku, app: config.app, endpoint: config.endpoint, timeoutMs: config.healthTimeoutMs, logger, what })
}

// ---- apply ------------------------------------------------------------------------------------------

/** A store that does not come up fails with its container's last log lines. */
async function withLogs(dokku: DokkuClient, config: SeaweedConfig, wait: () => Promise<void>): Promise<void> {
  try {
    await wait()
  } catch (error) {
    const lines = await dokku.logs.recent(config.app, 20).catch(() => '')
    throw new Error(`${errorMessage(error)}${lines ? `\nLast lines of ${config.app}'s log:\n${lines}` : ''}`, { cause: error })
  }
}

async function runStep(run: ApplyRun, step: SeaweedStep): Promise<boolean> {
  const { dokku, config, plan, logger } = run
  const store = config.app
  const stream = { onOutput: (line: string) => logger.info(line) }
  switch (step.kind) {
    case 'create-app':
      return (await dokku.apps.ensure(store)).changed
    case 'mount-storage':
      // Dokku's `heroku` preset is uid 1000, SEAWEED_UID: the image's user (docs/seaweedfs.md#image); its entrypoint would chown /data itself, as root.
      return (await dokku.storage.ensureMount(store, step.storage, SEAWEED_DATA_DIR, { chown: 'heroku' })).changed
    case 'set-store-config':
      return (await dokku.config.set(store, Object.fromEntries(step.keys.map((k) => [k, plan.storeConfig[k] as string])), { restart: false })).changed
    case 'disable-checks':
      await dokku.checks.disable(store)
      return true
    case 'scale-web': {
      const current = await dokku.ps.getScale(store)
      await dokku.ps.scale(store, { ...Object.fromEntries(Object.keys(current).map((t) => [t, 0])), web: 1 }, { skipDeploy: true })
      return true
    }
    case 'set-ports':
      await dokku.ports.set(store, step.ports)
      return true
    case 'create-network':
      return (await dokku.network.ensure(step.network)).changed
    case 'attach-network':
      await dokku.network.set(step.app, 'attach-post-create', ...step.networks)
      return true
    case 'deploy-store': {
      const outcome = await dokku.git.fromArchive(store, Readable.from([tarArchive(run.wrapper.files)]), stream)
      // The repository already holds this tree (a deploy that failed after its commit): build it.
      if (!outcome.changed) await dokku.ps.rebuild(store, stream)
      await withLogs(dokku, config, () => waitForStore(dokku, config, logger, 'was deployed but'))
      await dokku.config.set(store, { [SEAWEED_KEYS.wrapper]: run.wrapper.digest }, { restart: false })
      return true
    }
    case 'route-domain':
      return routeDomain(run, step.domain)
    case 'restart-store':
      if (run.storeRebuilt) {
        logger.info(`${store} was rebuilt by its routing on this run, with these settings: no second restart.`)
        return false
      }
      await dokku.ps.restart(store, stream)
      await withLogs(dokku, config, () => waitForStore(dokku, config, logger, 'was restarted but'))
      return true
    case 'create-bucket':
      try {
        await run.s3().send(new CreateBucketCommand({ Bucket: step.bucket }))
        return true
      } catch (error) {
        if (s3ErrorCode(error) === 'BucketAlreadyOwnedByYou' || s3ErrorCode(error) === 'BucketAlreadyExists') return false
        throw error
      }
    case 'create-user':
      return (await run.iam().createUser(step.user)) === 'created'
    case 'set-policy':
      await run.iam().putUserPolicy(step.user, POLICY_NAME, identityPolicy(step.buckets, step.access))
      return true
    case 'create-key': {
      const key = await run.iam().createAccessKey(step.user)
      run.newKeys.set(step.holder, key)
      logger.info(`created key ${key.accessKeyId} for ${step.user}`)
      // The backup key is kept at once: a key that only this process knew would be lost on a failure.
      if (step.user === BACKUP_IDENTITY)
        await dokku.config.set(store, { [SEAWEED_KEYS.backupAccessKey]: key.accessKeyId, [SEAWEED_KEYS.backupSecretKey]: key.secretAccessKey }, { restart: false })
      return true
    }
    case 'link-app': {
      const grant = config.access.find((g) => g.app === step.app)
      if (!grant) throw new Error(`no access line for ${step.app}`)
      const v = config.envNames
      const key = run.newKeys.get(step.app)
      const values: Record<string, string> = {
        [v.AWS_S3_BUCKET]: grant.buckets[0] as string,
        [v.AWS_S3_ENDPOINT]: plan.appEndpoint,
        [v.AWS_REGION]: config.region,
        ...(key ? { [v.AWS_ACCESS_KEY_ID]: key.accessKeyId, [v.AWS_SECRET_ACCESS_KEY]: key.secretAccessKey } : {})
      }
      return (await dokku.config.set(step.app, Object.fromEntries(step.variables.map((name) => [name, values[name] as string])), { restart: false })).changed
    }
    case 'restart-app': {
      // Returns once Dokku's checks pass for the new container: the app is healthy on its new key.
      const outcome = await dokku.ps.restart(step.app, stream)
      if (!outcome.changed) logger.info(`${step.app} has not been deployed; nothing to restart.`)
      return outcome.changed
    }
    case 'delete-key':
      await run.iam().deleteAccessKey(step.user, step.accessKeyId)
      return true
  }
}


/** Routes the store's domain (its admin key is already in its config); waits for the store if Caddy rebuilt it. */
async function routeDomain(run: ApplyRun, domain: string): Promise<boolean> {
  const { dokku, config, logger } = run
  const route: StoreRoute = storeRoute(config.app, domain, config.tls)
  const at = Date.now()
  const routed = await routeStoreDomain(dokku, route, logger, ROUTE_INPUTS)
  if (routed.failure) throw routed.failure
  run.routed = { result: routed, at }
  if (routed.plan.steps.some((s) => s.kind === 'rebuild' && s.app === config.app)) {
    run.storeRebuilt = true
    await withLogs(dokku, config, () => waitForStore(dokku, config, logger, 'was rebuilt with its routing but'))
  }
  return routed.changed
}
