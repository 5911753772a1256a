import { describe, expect, it } from 'vitest'
import { PlanError } from '../../../src/core/converge/plan.js'
import { readSeaweedInputs } from '../../../src/actions/seaweed-provision/inputs.js'
import { planSeaweed, STORE_PORT_MAP, type AppState, type SeaweedObservation } from '../../../src/actions/seaweed-provision/plan.js'
import { BACKUP_IDENTITY, identityActions } from '../../../src/core/seaweed/recipe.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const digest = 'd'.repeat(64)

function configFor(values: Record<string, string> = {}) {
  return readSeaweedInputs(
    inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', endpoint: 'https://s3.example.com', image: `chrislusf/seaweedfs:4.44@sha256:${'a'.repeat(64)}`, buckets: 'uploads', access: 'uro uploads readwrite', ...values })
  )
}

const uroApp = (extra: Partial<AppState> = {}): AppState => ({
  exists: true,
  deployed: true,
  config: {
    AWS_ACCESS_KEY_ID: 'AKIAURO',
    AWS_SECRET_ACCESS_KEY: 'uro-secret',
    AWS_S3_BUCKET: 'uploads',
    AWS_S3_ENDPOINT: 'http://seaweedfs.web:8333',
    AWS_REGION: 'us-east-1'
  },
  networks: { postCreate: ['seaweedfs-net'] },
  ...extra
})

/** A host and store exactly as `configFor()` asks. */
function converged(): SeaweedObservation {
  return {
    store: {
      config: {
        AWS_ACCESS_KEY_ID: 'ADMIN',
        AWS_SECRET_ACCESS_KEY: 'admin-secret',
        DOKKU_STACK_S3_ENDPOINT: 'https://s3.example.com',
        DOKKU_STACK_SEAWEEDFS_WRAPPER: digest,
        DOKKU_STACK_BACKUP_ACCESS_KEY_ID: 'AKIABACKUP',
        DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY: 'backup-secret'
      },
      mounts: [{ entryName: 'seaweedfs-data', hostPath: '/var/lib/dokku/data/storage/seaweedfs-data', containerPath: '/data', readonly: false, volumeOptions: '' }],
      checksDisabled: true,
      scale: { web: 1 },
      networks: { postCreate: ['seaweedfs-net'] },
      tld: '',
      deployed: true,
      ports: [STORE_PORT_MAP]
    },
    networkExists: true,
    apps: { uro: uroApp() },
    contents: {
      buckets: ['uploads'],
      users: {
        [BACKUP_IDENTITY]: { keys: ['AKIABACKUP'], actions: identityActions(['uploads'], 'read') },
        'app-uro': { keys: ['AKIAURO'], actions: identityActions(['uploads'], 'readwrite') }
      }
    },
    newAdmin: { accessKeyId: 'NEWADMIN', secretAccessKey: 'new-admin-secret' },
    wrapperDigest: digest,
    envFile: 'godotenv-1.5.1'
  }
}

const kinds = (plan: ReturnType<typeof planSeaweed>) => plan.steps.map((s) => ('app' in s ? `${s.kind} ${s.app}` : 'user' in s ? `${s.kind} ${s.user}` : s.kind))

describe('planSeaweed', () => {
  it('plans nothing for a converged host and store', () => {
    const plan = planSeaweed(configFor(), converged())
    expect(plan.steps).toEqual([])
    expect(plan.notices).toEqual([])
    expect(plan.appEndpoint).toBe('http://seaweedfs.web:8333')
  })

  it('plans the whole store on an empty host, the admin key before the first deploy', () => {
    const observed = { ...converged(), store: undefined, networkExists: false, contents: undefined, apps: { uro: uroApp({ config: {}, networks: { postCreate: [] } }) } }
    const plan = planSeaweed(configFor(), observed)
    expect(kinds(plan)).toEqual([
      'create-app',
      'mount-storage',
      'set-store-config',
      'disable-checks',
      'scale-web',
      'set-ports',
      'create-network',
      'attach-network seaweedfs',
      'deploy-store',
      'create-bucket',
      `create-user ${BACKUP_IDENTITY}`,
      `set-policy ${BACKUP_IDENTITY}`,
      `create-key ${BACKUP_IDENTITY}`,
      'create-user app-uro',
      'set-policy app-uro',
      'create-key app-uro',
      'link-app uro',
      'attach-network uro',
      'restart-app uro'
    ])
    expect(plan.storeConfig).toMatchObject({ AWS_ACCESS_KEY_ID: 'NEWADMIN', AWS_SECRET_ACCESS_KEY: 'new-admin-secret' })
  })

  it('rotates: new key, link, restart, and only then the old key goes', () => {
    const plan = planSeaweed(configFor({ rotate: 'uro' }), converged())
    expect(kinds(plan)).toEqual(['create-key app-uro', 'link-app uro', 'restart-app uro', 'delete-key app-uro'])
    expect(plan.steps.at(-1)).toMatchObject({ accessKeyId: 'AKIAURO', reason: 'replaced by the new key' })
  })

  it('replaces a key the store no longer has, and deletes keys nobody holds without touching the app', () => {
    const gone = converged()
    gone.contents = { ...gone.contents!, users: { ...gone.contents!.users, 'app-uro': { keys: ['AKIAOTHER'], actions: identityActions(['uploads'], 'readwrite') } } }
    expect(kinds(planSeaweed(configFor(), gone))).toEqual(['create-key app-uro', 'link-app uro', 'restart-app uro', 'delete-key app-uro'])
    const stray = converged()
    stray.contents = { ...stray.contents!, users: { ...stray.contents!.users, 'app-uro': { keys: ['AKIAURO', 'AKIASTRAY'], actions: identityActions(['uploads'], 'readwrite') } } }
    const plan = planSeaweed(configFor(), stray)
    expect(kinds(plan)).toEqual(['delete-key app-uro'])
    expect(plan.steps[0]).toMatchObject({ accessKeyId: 'AKIASTRAY' })
  })

  it('changes a policy live, without restarting anything', () => {
    expect(kinds(planSeaweed(configFor({ access: 'uro uploads read' }), converged()))).toEqual(['set-policy app-uro'])
  })

  it('does not restart an app that was never deployed, and refuses an app that does not exist', () => {
    const fresh = converged()
    fresh.apps = { uro: uroApp({ deployed: false, config: {} }) }
    fresh.contents = { ...fresh.contents!, users: { [BACKUP_IDENTITY]: fresh.contents!.users[BACKUP_IDENTITY]! } }
    const plan = planSeaweed(configFor(), fresh)
    expect(kinds(plan)).toEqual(['create-user app-uro', 'set-policy app-uro', 'create-key app-uro', 'link-app uro'])
    expect(plan.notes.join('\n')).toContain('uro is not deployed yet')
    const missing = converged()
    missing.apps = { uro: uroApp({ exists: false }) }
    expect(() => planSeaweed(configFor(), missing)).toThrow(PlanError)
  })

  it('redeploys when the wrapper changes and restarts when only the store settings do', () => {
    expect(kinds(planSeaweed(configFor(), { ...converged(), wrapperDigest: 'e'.repeat(64) }))).toEqual(['deploy-store'])
    const unchecked = converged()
    unchecked.store = { ...unchecked.store!, checksDisabled: false, scale: { web: 2 } }
    expect(kinds(planSeaweed(configFor(), unchecked))).toEqual(['disable-checks', 'scale-web', 'restart-store'])
  })

  it('gives the apps the public host name when asked, and the network address by default', () => {
    const plan = planSeaweed(configFor({ 'app-endpoint': 'public', domain: 's3.example.org', endpoint: 'http://127.0.0.1:9000' }), converged())
    expect(plan.appEndpoint).toBe('https://s3.example.org')
    expect(plan.steps.find((s) => s.kind === 'link-app')).toMatchObject({ app: 'uro', variables: ['AWS_S3_ENDPOINT'] })
    expect(plan.steps.some((s) => s.kind === 'attach-network')).toBe(false)
  })

  it('routes the domain after the admin key is set and before the first deploy, with both port maps Caddy reads', () => {
    const observed = { ...converged(), store: undefined, networkExists: false, contents: undefined, apps: { uro: uroApp({ config: {}, networks: { postCreate: [] } }) } }
    const plan = planSeaweed(configFor({ domain: 's3.example.org' }), observed)
    const order = kinds(plan)
    expect(order.indexOf('set-store-config')).toBeLessThan(order.indexOf('route-domain'))
    expect(order.indexOf('route-domain')).toBeLessThan(order.indexOf('deploy-store'))
    expect(plan.steps.find((s) => s.kind === 'set-ports')).toMatchObject({ ports: ['http:80:8333', 'https:443:8333'] })
    expect(plan.steps.find((s) => s.kind === 'route-domain')).toMatchObject({ domain: 's3.example.org' })
  })

  it('routes an existing store only when Caddy\'s planner has something to change', () => {
    const routed = converged()
    routed.store = { ...routed.store!, ports: ['https:443:8333', 'http:80:8333'] }
    const config = configFor({ domain: 's3.example.org', endpoint: 'https://s3.example.com' })
    expect(planSeaweed(config, { ...routed, route: { steps: [] } }).steps).toEqual([])
    const plan = planSeaweed(config, { ...routed, route: { steps: ["Set seaweedfs's domains to s3.example.org (it has no domains)"] } })
    expect(plan.steps).toEqual([{ kind: 'route-domain', domain: 's3.example.org', reason: "Set seaweedfs's domains to s3.example.org (it has no domains)" }])
  })

  it('warns while the image is not pinned by digest', () => {
    expect(planSeaweed(configFor({ image: 'chrislusf/seaweedfs:4.44' }), converged()).notices.join('\n')).toContain('not pinned by digest')
  })
})
