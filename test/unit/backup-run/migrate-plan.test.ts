// backup-run mode migrate, the pure parts: the Secret mapping (base64 in, base64 out, compared
// without decoding) and the planner (observed state → steps with reasons; converged → nothing).
import { describe, expect, it } from 'vitest'
import { countDifferences, MARKER, planMigration, type DatabaseCounts, type Observed } from '../../../src/actions/backup-run/migrate.ts'
import type { MigrateConfig } from '../../../src/actions/backup-run/migrate-inputs.ts'
import { readMigrateInputs } from '../../../src/actions/backup-run/migrate-inputs.ts'
import type { FileEntry } from '../../../src/core/files/inventory.ts'
import { InputReader } from '../../../src/core/inputs/readers.ts'
import { planSecretMapping, URO_SECRET_MAP } from '../../../src/core/k8s/secret.ts'
import { testKeyInputs } from '../../support/keys.ts'

const b64 = (text: string) => Buffer.from(text).toString('base64')

describe('Secret mapping', () => {
  const data = { 'secret-key-base': b64('kb'), 'discord-client-id': b64('42'), 'discord-client-secret': b64('s3cret'), pass: b64('p'), extra: b64('x') }

  it('renames Uro keys, keeps values base64, lists what it leaves out by name', () => {
    const plan = planSecretMapping(data, URO_SECRET_MAP, {})
    expect(plan.encoded).toEqual({ PHOENIX_KEY_BASE: b64('kb'), OAUTH2_DISCORD_CLIENT_ID: b64('42'), OAUTH2_DISCORD_CLIENT_SECRET: b64('s3cret') })
    expect(plan.plain).toEqual({ OAUTH2_DISCORD_STRATEGY: 'Assent.Strategy.Discord' })
    expect(plan.unmapped).toEqual(['extra', 'pass'])
    expect(plan.absent).toEqual(['sendgrid-api-key'])
  })

  it('leaves keys that already hold the value alone (the host value is encoded, the Secret never decoded)', () => {
    const plan = planSecretMapping(data, URO_SECRET_MAP, { PHOENIX_KEY_BASE: 'kb', OAUTH2_DISCORD_CLIENT_ID: '41', OAUTH2_DISCORD_STRATEGY: 'Assent.Strategy.Discord' })
    expect(plan.unchanged).toEqual(['PHOENIX_KEY_BASE'])
    expect(Object.keys(plan.encoded)).toEqual(['OAUTH2_DISCORD_CLIENT_ID', 'OAUTH2_DISCORD_CLIENT_SECRET'])
    expect(plan.plain).toEqual({})
  })

  it('refuses a value that is not base64 without showing it', () => {
    expect(() => planSecretMapping({ 'secret-key-base': 'not base64!' }, URO_SECRET_MAP, {})).toThrow(/secret-key-base is not base64 \(not shown\)/)
  })
})

const config = (overrides: Partial<MigrateConfig> = {}): MigrateConfig =>
  ({
    ...readMigrateInputs(
      new InputReader(
        (name) =>
          ({
            host: 'dokku.example.org',
            ...testKeyInputs(),
            kubeconfig: 'apiVersion: v1',
            app: 'uro',
            'k8s-secret': 'uro-prod',
            'database-pod': 'statefulset/postgres',
            'database-name': 'uro_prod',
            'database-service': 'uro-db',
            'uploads-pod': 'deploy/uro-deployment'
          })[name] ?? ''
      )
    ),
    ...overrides
  }) as MigrateConfig

const counts = (rows: number): DatabaseCounts => ({ serverVersion: '15', tables: [{ schema: 'public', name: 'users', rows }], largeObjects: 1 })
const file = (path: string, sha: string): FileEntry => ({ path, size: 3, sha256: sha.repeat(64) })

function observed(overrides: Partial<Observed> = {}): Observed {
  return {
    appExists: true,
    secret: { plan: { encoded: {}, plain: {}, unchanged: ['PHOENIX_KEY_BASE'], unmapped: [], absent: [] } },
    database: { source: counts(10), target: { exists: true, relations: 3, marker: MARKER.complete, counts: counts(10) } },
    uploads: { source: new Map([['a', file('a', '1')]]), target: new Map([['a', file('a', '1')]]), storage: { entryExists: true, mounted: true } },
    ...overrides
  }
}

describe('the migration planner', () => {
  it('plans nothing on a converged host', () => {
    const plan = planMigration(config(), observed())
    expect(plan.steps).toEqual([])
    expect(plan.notes.join('\n')).toMatch(/already holds the copy/)
  })

  it('copies again into a target it marked but did not finish, and after the source moved on', () => {
    const unfinished = planMigration(config(), observed({ database: { source: counts(10), target: { exists: true, relations: 3, marker: MARKER.copying, counts: counts(4) } } }))
    expect(unfinished.steps.map((s) => s.kind)).toEqual(['copy-database'])
    expect(unfinished.steps[0]?.reason).toMatch(/did not finish/)
    const moved = planMigration(config(), observed({ database: { source: counts(11), target: { exists: true, relations: 3, marker: MARKER.complete, counts: counts(10) } } }))
    expect(moved.steps[0]?.reason).toMatch(/source changed since/)
  })

  it('refuses foreign data in the target unless overwrite is set', () => {
    const foreign = observed({ database: { source: counts(10), target: { exists: true, relations: 2, marker: '', counts: counts(0) } } })
    expect(() => planMigration(config(), foreign)).toThrow(/already holds 2 relations .*overwrite: true/)
    expect(planMigration(config({ overwrite: true }), foreign).steps.map((s) => s.kind)).toEqual(['copy-database'])
  })

  it('copies only the files missing or different, and never plans to delete extra ones', () => {
    const plan = planMigration(
      config(),
      observed({
        uploads: {
          source: new Map([
            ['a', file('a', '1')],
            ['b', file('b', '2')],
            ['c', file('c', '3')]
          ]),
          target: new Map([
            ['a', file('a', '1')],
            ['b', file('b', '9')],
            ['z', file('z', '4')]
          ]),
          storage: { entryExists: true, mounted: true }
        }
      })
    )
    const step = plan.steps.find((s) => s.kind === 'copy-uploads')
    expect(step?.kind === 'copy-uploads' && step.files.map((f) => f.path).sort()).toEqual(['b', 'c'])
    expect(step?.kind === 'copy-uploads' && step.everything).toBe(false)
    expect(plan.notes.join('\n')).toMatch(/1 file\(s\) in storage .* not in the pod; left in place/)
  })
})

describe('row count comparison', () => {
  it('names every table whose count differs, tables on one side only, and the large objects', () => {
    const a: DatabaseCounts = { serverVersion: '15', tables: [{ schema: 'public', name: 'users', rows: 3 }, { schema: 'public', name: 'gone', rows: 1 }], largeObjects: 2 }
    const b: DatabaseCounts = { serverVersion: '15', tables: [{ schema: 'public', name: 'users', rows: 4 }, { schema: 'audit', name: 'new', rows: 0 }], largeObjects: 1 }
    expect(countDifferences(a, b, 'in the source', 'in the target')).toEqual([
      'public.users: 3 rows in the source, 4 in the target',
      'public.gone: 1 rows in the source, absent in the target',
      'audit.new: absent in the source, 0 rows in the target',
      'large objects: 2 in the source, 1 in the target'
    ])
    expect(countDifferences(a, a, 'x', 'y')).toEqual([])
  })
})

describe('mode migrate inputs', () => {
  it('refuses a CockroachDB source with the manual path', () => {
    expect(() =>
      readMigrateInputs(
        new InputReader(
          (name) =>
            ({ host: 'h.example.org', ...testKeyInputs(), kubeconfig: 'k', app: 'uro', 'database-pod': 'crdb-0', 'database-engine': 'cockroach' })[name] ?? ''
        )
      )
    ).toThrow(/cockroach is not copied .*docs\/scale-out\.md/)
  })
})

describe('mode migrate inputs: the uploads bucket', () => {
  const base = { host: 'h.example.org', ...testKeyInputs(), kubeconfig: 'k', app: 'uro', 'uploads-pod': 'deploy/uro-deployment' }
  const read = (values: Record<string, string>) => readMigrateInputs(new InputReader((name) => ({ ...base, ...values })[name] ?? ''))
  const credentials = { 's3-access-key-id': 'AKIAMIGRATE', 's3-secret-access-key': 'migrate-secret-key-never-shown' }

  it('reads the bucket, the endpoint, the credentials and the prefix', () => {
    const config = read({ 'uploads-bucket': 'uploads', 'uploads-prefix': 'uploads', 's3-endpoint': 'https://s3.example.org', ...credentials })
    expect(config.uploads?.target).toEqual({
      kind: 'bucket',
      prefix: 'uploads/',
      s3: { endpoint: 'https://s3.example.org', region: 'us-east-1', bucket: 'uploads', accessKeyId: 'AKIAMIGRATE', secretAccessKey: 'migrate-secret-key-never-shown' }
    })
    expect(read({}).uploads?.target).toEqual({ kind: 'storage', storage: 'uro-uploads' })
  })

  it('refuses both targets at once, a bucket without credentials or without a pod, and a bad prefix', () => {
    expect(() => read({ 'uploads-bucket': 'uploads', 'uploads-storage': 'uro-uploads', ...credentials })).toThrow(/"uploads-storage" and "uploads-bucket" are both set/)
    expect(() => read({ 'uploads-bucket': 'uploads' })).toThrow(/"uploads-bucket" needs "s3-access-key-id" and "s3-secret-access-key"/)
    expect(() => read({ 'uploads-bucket': 'uploads', 'uploads-pod': '', 'k8s-secret': 'uro-prod', ...credentials })).toThrow(/"uploads-pod" names no pod/)
    expect(() => read({ 'uploads-bucket': 'Not_A_Bucket', ...credentials })).toThrow(/uploads-bucket" has a bucket name that may contain only lowercase letters/)
    expect(() => read({ 'uploads-bucket': 'uploads', 'uploads-prefix': '../up', ...credentials })).toThrow(/uploads-prefix.*must be a key prefix/)
    expect(() => read({ 'uploads-bucket': 'uploads', 's3-endpoint': 'https://s3.example.org/uploads', ...credentials })).toThrow(/s3-endpoint.*endpoint only/)
    expect(() => read({ 'uploads-bucket': 'uploads', 's3-region': 'evil.example.com/x', ...credentials })).toThrow(/s3-region.*must be a region name/)
  })

  it('refuses a Secret key mapped twice (the first mapping would be lost), a kubectl path with a control character, an overlong service', () => {
    expect(() => read({ 'k8s-secret': 'uro-prod', 'k8s-secret-keys': 'pass=DATABASE_PASS\npass=OTHER_PASS' })).toThrow(/maps pass a second time/)
    expect(() => read({ kubectl: 'kubectl\n--help' })).toThrow(/kubectl.*without control characters/)
    expect(() => read({ 'database-pod': 'postgres-0', 'database-name': 'uro', 'database-service': 'a'.repeat(49) })).toThrow(/database-service" is 49 characters long; a service name has at most 48/)
  })

  it('plans no app and no storage for a bucket, and copies only the objects missing or different', () => {
    const bucketConfig = read({ 'uploads-bucket': 'uploads', 'uploads-prefix': 'uploads/', ...credentials })
    const plan = planMigration(bucketConfig, {
      appExists: false,
      uploads: {
        source: new Map([
          ['a', file('a', '1')],
          ['b', file('b', '2')]
        ]),
        target: new Map([
          ['a', file('a', '1')],
          ['z', file('z', '4')]
        ])
      }
    })
    expect(plan.steps.map((s) => s.kind)).toEqual(['copy-uploads'])
    const step = plan.steps[0]
    expect(step?.kind === 'copy-uploads' && [step.into, step.files.map((f) => f.path), step.everything]).toEqual(['bucket s3://uploads/uploads/', ['b'], false])
    expect(plan.notes.join('\n')).toMatch(/1 object\(s\) in bucket s3:\/\/uploads\/uploads\/ are not in the pod; left in place/)
  })
})
