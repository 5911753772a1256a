import { describe, expect, it } from 'vitest'
import { PlanError } from '../../../src/core/converge/plan.js'
import { readServiceInputs } from '../../../src/actions/dokku-service/inputs.js'
import {
  planService,
  renderPlan,
  type CockroachObservation,
  type CockroachServiceState,
  type PluginObservation,
  type ServicePlan
} from '../../../src/actions/dokku-service/plan.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const PW = 'a1'.repeat(16)
const DSN = `postgres://postgres:${PW}@dokku-postgres-uro-db:5432/uro_db`

function config(extra: Record<string, string> = {}) {
  return readServiceInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', engine: 'postgres', service: 'uro-db', app: 'uro', ...extra }))
}

function kinds(plan: ServicePlan): string[] {
  return plan.steps.map((s) => s.kind)
}

function thrown(fn: () => unknown): PlanError {
  try {
    fn()
  } catch (error) {
    if (error instanceof PlanError) return error
    throw error
  }
  throw new Error('expected a PlanError')
}

/** A converged postgres host: the service runs, the app is deployed and fully linked. */
function plugin(over: { service?: Partial<NonNullable<PluginObservation['service']>> | null; app?: Partial<NonNullable<PluginObservation['app']>> | null; plugin?: PluginObservation['plugin']; canInstallPlugins?: boolean } = {}): PluginObservation {
  return {
    kind: 'plugin',
    plugin: over.plugin ?? 'enabled',
    canInstallPlugins: over.canInstallPlugins ?? false,
    service: over.service === null ? undefined : { dsn: DSN, version: 'postgres:18.4', status: 'running', links: ['uro'], configOptions: '', ...over.service },
    app: over.app === null ? undefined : { name: 'uro', exists: true, deployed: true, config: { DATABASE_URL: DSN, OTHER: 'x' }, dockerLink: true, ...over.app }
  }
}

describe('planService: postgres and redis', () => {
  it('creates the service and the app, and links without a restart when the app is not deployed yet', () => {
    const plan = planService(config(), plugin({ service: null, app: { exists: false, deployed: false, config: {}, dockerLink: false } }))
    expect(kinds(plan)).toEqual(['create-service', 'create-app', 'link'])
    expect(plan.variable).toBe('DATABASE_URL')
    expect(plan.url).toBeUndefined()
    expect(plan.notes).toEqual(['uro is not deployed yet: DATABASE_URL reaches it on its first deploy.'])
    expect(plan.notices).toEqual([])
  })

  it('links a deployed app with --no-restart and restarts it exactly once', () => {
    const plan = planService(config(), plugin({ service: { links: [] }, app: { config: {}, dockerLink: false } }))
    expect(kinds(plan)).toEqual(['link', 'restart-app'])
    expect(plan.url).toBe(DSN)
    expect(renderPlan(config(), plan)).toEqual([
      '1. link uro-db to uro as DATABASE_URL, without a restart (uro is not linked to uro-db)',
      '2. restart uro once (ps:restart) (uro runs with its old environment)'
    ])
  })

  it('plans nothing against a converged host', () => {
    const plan = planService(config(), plugin())
    expect(plan.steps).toEqual([])
    expect(renderPlan(config(), plan)).toEqual(['postgres service uro-db (linked to uro): nothing to do; the host is already as asked.'])
    expect(planService(config({ app: '' }), plugin({ app: null })).steps).toEqual([])
  })

  it('fails with the exact root install command when the plugin is missing', () => {
    const error = thrown(() => planService(config(), plugin({ plugin: 'missing', service: null })))
    expect(error.message).toContain('`sudo dokku plugin:install https://github.com/dokku/dokku-postgres.git --committish 1.48.0 --name postgres`')
    expect(error.subject).toBeUndefined()
    expect(thrown(() => planService(config({ 'install-plugins': 'true' }), plugin({ plugin: 'missing', service: null }))).message).toContain('cannot install it over the dokku user')
    expect(thrown(() => planService(config(), plugin({ plugin: 'disabled' }))).message).toContain('sudo dokku plugin:enable postgres')
    const redis = thrown(() => planService(config({ engine: 'redis', service: 'cache' }), plugin({ plugin: 'missing', service: null })))
    expect(redis.message).toContain('`sudo dokku plugin:install https://github.com/dokku/dokku-redis.git --committish 1.43.0 --name redis`')
  })

  it('installs the missing plugin first when connected as root with install-plugins', () => {
    const plan = planService(config({ 'install-plugins': 'true' }), plugin({ plugin: 'missing', canInstallPlugins: true, service: null, app: { config: {}, dockerLink: false } }))
    expect(kinds(plan)).toEqual(['install-plugin', 'create-service', 'link', 'restart-app'])
  })

  it('reports another image version instead of upgrading it, and upgrades when asked', () => {
    const drift = planService(config({ 'image-version': '18.5' }), plugin())
    expect(drift.steps).toEqual([])
    expect(drift.notices[0]).toBe(
      'uro-db runs postgres:18.4, not postgres:18.5: left as it is. Set upgrade: true to switch the image (a new Postgres major version does not migrate the data: export, create a new service and import instead).'
    )
    const upgrade = planService(config({ 'image-version': '18.5', upgrade: 'true' }), plugin({ service: { links: ['uro', 'admin'] } }))
    expect(upgrade.steps).toMatchObject([
      { kind: 'upgrade-service', image: 'postgres', imageVersion: '18.5' },
      { kind: 'restart-app', app: 'uro' },
      { kind: 'restart-app', app: 'admin' }
    ])
    expect(planService(config({ image: 'postgres', 'image-version': '18.4' }), plugin()).steps).toEqual([])
    expect(planService(config(), plugin({ service: { status: 'exited' } })).notices).toEqual(['uro-db is exited, not running; start it with `dokku postgres:start uro-db`.'])
    const options = planService(config({ 'config-options': '-c max_connections=200' }), plugin())
    expect(options.steps).toEqual([])
    expect(options.notices).toEqual(['uro-db was created with config options "", not "-c max_connections=200": the plugin applies them at creation only, so they are left as they are.'])
  })

  it('repairs a link that stopped half-way: options and LINKS written, no URL', () => {
    const plan = planService(config(), plugin({ app: { config: {} } }))
    expect(plan.steps).toMatchObject([{ kind: 'clean-link', unlink: true, unset: [] }, { kind: 'link' }, { kind: 'restart-app' }])
    expect(plan.steps[0]?.reason).toBe('the link is incomplete: the --link docker option present; the app in the service links')
  })

  it('repairs a URL without its docker link option, and replaces a stale URL of a re-created service', () => {
    expect(kinds(planService(config(), plugin({ app: { dockerLink: false } })))).toEqual(['clean-link', 'link', 'restart-app'])
    const stale = planService(config(), plugin({ app: { config: { DATABASE_URL: 'postgres://postgres:old@dokku-postgres-uro-db:5432/uro_db' } } }))
    expect(stale.steps).toMatchObject([{ kind: 'clean-link', unlink: true, unset: ['DATABASE_URL'] }, { kind: 'link' }, { kind: 'restart-app' }])
  })

  it('updates the URL in place when only the querystring differs', () => {
    const plan = planService(config({ querystring: 'pool_size=10' }), plugin())
    expect(plan.steps).toMatchObject([{ kind: 'set-url', variable: 'DATABASE_URL' }, { kind: 'restart-app' }])
    expect(plan.url).toBe(`${DSN}?pool_size=10`)
  })

  it('refuses an alias another value holds, before changing anything', () => {
    const other = 'postgres://app:secret-pw@old-db.example:5432/other'
    const error = thrown(() => planService(config(), plugin({ service: { links: [] }, app: { config: { DATABASE_URL: other }, dockerLink: false } })))
    expect(error.subject).toBe('link-alias')
    expect(error.message).toBe(
      'Alias collision: uro already has DATABASE_URL for something else (pointing at old-db.example:5432/other); nothing was changed. Set link-alias to another name (the app then gets <ALIAS>_URL), or remove DATABASE_URL from the app if it is no longer used.'
    )
    expect(error.message).not.toContain('secret-pw')
    const substring = thrown(() => planService(config(), plugin({ service: { links: [] }, app: { config: { MIGRATION_DATABASE_URL: 'x' }, dockerLink: false } })))
    expect(substring.message).toContain('MIGRATION_DATABASE_URL contains "DATABASE_URL"')
    expect(kinds(planService(config({ 'link-alias': 'PRIMARY' }), plugin({ service: { links: [] }, app: { config: { DATABASE_URL: other }, dockerLink: false } })))).toEqual(['link', 'restart-app'])
  })

  it('uses the app scheme override when it compares URLs', () => {
    const url = DSN.replace('postgres://', 'postgres2://')
    const plan = planService(config(), plugin({ app: { config: { POSTGRES_DATABASE_SCHEME: 'postgres2', DATABASE_URL: url } } }))
    expect(plan.steps).toEqual([])
    expect(plan.url).toBe(url)
  })

  it('destroys only an unlinked service, unlinking the named app first without a restart', () => {
    const destroy = { destroy: 'true', 'confirm-destroy': 'uro-db' }
    expect(kinds(planService(config(destroy), plugin()))).toEqual(['unlink', 'destroy-service'])
    const others = thrown(() => planService(config(destroy), plugin({ service: { links: ['uro', 'admin'] } })))
    expect(others.message).toContain('still linked to admin; nothing was deleted')
    expect(planService(config(destroy), plugin({ service: null })).steps).toEqual([])
    expect(planService(config({ ...destroy, app: '' }), plugin({ app: null, service: { links: [] } })).steps.map((s) => s.kind)).toEqual(['destroy-service'])
  })
})

// ---- cockroach -------------------------------------------------------------------------------------

const CRDB_PW = 'c0'.repeat(24)
const CRDB_URL = `postgresql://crdb:${CRDB_PW}@crdb.web:26257/crdb`

function crdbConfig(extra: Record<string, string> = {}) {
  return config({ engine: 'cockroach', service: 'crdb', ...extra })
}

function convergedNode(over: Partial<CockroachServiceState> = {}): CockroachServiceState {
  return {
    config: { COCKROACH_ARGS: 'start-single-node --accept-sql-without-tls', COCKROACH_DATABASE: 'crdb', COCKROACH_USER: 'crdb', COCKROACH_PASSWORD: CRDB_PW },
    mounts: [
      { entryName: 'crdb-data', hostPath: '/var/lib/dokku/data/storage/crdb-data', containerPath: '/cockroach/cockroach-data', readonly: false, volumeOptions: '' },
      { entryName: 'crdb-certs', hostPath: '/var/lib/dokku/data/storage/crdb-certs', containerPath: '/cockroach/certs', readonly: false, volumeOptions: '' }
    ],
    checksDisabled: true,
    proxyEnabled: false,
    restartPolicy: 'unless-stopped',
    networks: { postCreate: ['crdb-net'], postDeploy: [] },
    tld: '',
    memoryLimit: '',
    deployed: true,
    deployedImage: 'cockroachdb/cockroach:v22.1.22',
    ...over
  }
}

function crdb(over: { service?: CockroachServiceState | null; app?: Partial<NonNullable<CockroachObservation['app']>> | null; networkExists?: boolean } = {}): CockroachObservation {
  return {
    kind: 'cockroach',
    service: over.service === null ? undefined : (over.service ?? convergedNode()),
    networkExists: over.networkExists ?? true,
    newPassword: 'f'.repeat(48),
    envFile: 'godotenv-1.5.1',
    app: over.app === null ? undefined : { name: 'uro', exists: true, deployed: true, config: { DATABASE_URL: CRDB_URL }, networks: { postCreate: ['crdb-net'], postDeploy: [] }, ...over.app }
  }
}

describe('planService: the CockroachDB recipe (docs/dokku-contract.md#cockroach-app)', () => {
  it('runs the whole recipe in order on a fresh host', () => {
    const plan = planService(crdbConfig(), crdb({ service: null, networkExists: false, app: { config: {}, networks: { postCreate: ['other-net'], postDeploy: [] } } }))
    expect(plan.steps).toMatchObject([
      { kind: 'create-app', app: 'crdb' },
      { kind: 'mount-storage', storage: 'crdb-data', containerDir: '/cockroach/cockroach-data' },
      { kind: 'mount-storage', storage: 'crdb-certs', containerDir: '/cockroach/certs' },
      { kind: 'set-service-config', keys: ['COCKROACH_ARGS', 'COCKROACH_DATABASE', 'COCKROACH_USER', 'COCKROACH_PASSWORD'] },
      { kind: 'disable-checks' },
      { kind: 'set-restart-policy', policy: 'unless-stopped' },
      { kind: 'disable-proxy' },
      { kind: 'create-network', network: 'crdb-net' },
      { kind: 'attach-network', app: 'crdb', networks: ['crdb-net'] },
      { kind: 'deploy-image', image: 'cockroachdb/cockroach:v22.1.22' },
      { kind: 'set-url', variable: 'DATABASE_URL' },
      { kind: 'attach-network', app: 'uro', networks: ['other-net', 'crdb-net'] },
      { kind: 'restart-app', app: 'uro' }
    ])
    expect(plan.serviceConfig).toEqual({
      COCKROACH_ARGS: 'start-single-node --accept-sql-without-tls',
      COCKROACH_DATABASE: 'crdb',
      COCKROACH_USER: 'crdb',
      COCKROACH_PASSWORD: 'f'.repeat(48)
    })
    expect(plan.url).toBe(`postgresql://crdb:${'f'.repeat(48)}@crdb.web:26257/crdb`)
    for (const line of renderPlan(crdbConfig(), plan)) expect(line).not.toContain('f'.repeat(48))
  })

  it('plans nothing against a converged node and app, and keeps the recorded password', () => {
    const plan = planService(crdbConfig(), crdb())
    expect(plan.steps).toEqual([])
    expect(plan.url).toBe(CRDB_URL)
  })

  it('restarts a deployed node once when its settings drift, and reports another image unless upgrade', () => {
    const drift = planService(crdbConfig({ 'config-options': '--cache=.25', memory: '2048' }), crdb({ service: convergedNode({ proxyEnabled: true }) }))
    expect(drift.steps).toMatchObject([{ kind: 'set-service-config', keys: ['COCKROACH_ARGS'] }, { kind: 'disable-proxy' }, { kind: 'limit-memory', memory: '2048m' }, { kind: 'restart-service' }])
    expect(drift.serviceConfig?.COCKROACH_ARGS).toBe('start-single-node --accept-sql-without-tls --cache=.25')
    const older = crdb({ service: convergedNode({ deployedImage: 'cockroachdb/cockroach:v22.1.20' }) })
    const reported = planService(crdbConfig(), older)
    expect(reported.steps).toEqual([])
    expect(reported.notices[0]).toContain('crdb runs cockroachdb/cockroach:v22.1.20, not cockroachdb/cockroach:v22.1.22: left as it is. Set upgrade: true')
    expect(kinds(planService(crdbConfig({ upgrade: 'true' }), older))).toEqual(['deploy-image'])
  })

  it('refuses to pretend a store it did not initialise has this database, user and password', () => {
    const error = thrown(() => planService(crdbConfig(), crdb({ service: convergedNode({ config: { COCKROACH_ARGS: 'start-single-node --insecure' } }) })))
    expect(error.message).toContain('its store was not initialised by this recipe')
  })

  it('finishes a node whose first deploy never happened, with the password recorded before it', () => {
    const plan = planService(crdbConfig(), crdb({ service: convergedNode({ deployed: false, deployedImage: undefined }) }))
    expect(kinds(plan)).toEqual(['deploy-image'])
    expect(plan.url).toBe(CRDB_URL)
  })

  it('links an app: URL and network, one restart; a stale URL of the same node is replaced; another is a collision', () => {
    expect(kinds(planService(crdbConfig(), crdb({ app: { config: {}, networks: { postCreate: [], postDeploy: [] } } })))).toEqual(['set-url', 'attach-network', 'restart-app'])
    expect(kinds(planService(crdbConfig(), crdb({ app: { config: { DATABASE_URL: CRDB_URL.replace(CRDB_PW, 'old') } } })))).toEqual(['set-url', 'restart-app'])
    expect(kinds(planService(crdbConfig(), crdb({ app: { networks: { postCreate: [], postDeploy: ['crdb-net'] } } })))).toEqual([])
    expect(thrown(() => planService(crdbConfig(), crdb({ app: { config: { DATABASE_URL: 'postgres://u:p@elsewhere:5432/x' } } }))).subject).toBe('link-alias')
    expect(planService(crdbConfig({ querystring: 'pool_size=5' }), crdb()).url).toBe(`${CRDB_URL}?pool_size=5`)
    expect(planService(crdbConfig(), crdb({ service: convergedNode({ tld: 'svc.local' }), app: { config: {} } })).url).toBe(`postgresql://crdb:${CRDB_PW}@crdb.web.svc.local:26257/crdb`)
  })

  it('destroys the node: unlink the app, stop, delete both storages, then the app', () => {
    const plan = planService(crdbConfig({ destroy: 'true', 'confirm-destroy': 'crdb' }), crdb())
    expect(plan.steps).toMatchObject([
      { kind: 'unset-url', variables: ['DATABASE_URL'] },
      { kind: 'attach-network', app: 'uro', networks: [] },
      { kind: 'stop-service' },
      { kind: 'destroy-storage', storage: 'crdb-data', containerDir: '/cockroach/cockroach-data' },
      { kind: 'destroy-storage', storage: 'crdb-certs', containerDir: '/cockroach/certs' },
      { kind: 'destroy-service' }
    ])
    expect(planService(crdbConfig({ destroy: 'true', 'confirm-destroy': 'crdb', app: '' }), crdb({ service: null, app: null })).steps).toEqual([])
  })
})
