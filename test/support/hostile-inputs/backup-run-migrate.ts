// backup-run mode migrate's inputs (readMigrateInputs): the kubeconfig and kubectl go to the
// runner, the namespace, Secret, pod and container names, the database name and role and the
// uploads path to the cluster (kubectl argv, its API's URLs, argv in the pod), the app, postgres
// service and storage entry to the Dokku host, and the uploads bucket with its S3 settings to the
// URLs and keys the runner requests.
import { normalizePrefix } from '../../../src/core/backup/keys.ts'
import { MigrateInputs, readMigrateInputs, type MigrateConfig, type UploadsTarget } from '../../../src/actions/backup-run/migrate-inputs.ts'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable, InputCase } from './types.ts'

const KUBECONFIG = 'apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: hostile-kube-token-never-shown\n'
const SECRET_KEY = 'hostile-migrate-secret-access-key-never-shown'
const ACCESS_KEY = 'AKIAHOSTILEMIGRATE'
const settings = (s: unknown) => s as MigrateConfig
const bucketTarget = (s: unknown) => {
  const target = settings(s).uploads?.target
  return target?.kind === 'bucket' ? (target as Extract<UploadsTarget, { kind: 'bucket' }>) : undefined
}
const storageTarget = (s: unknown) => {
  const target = settings(s).uploads?.target
  return target?.kind === 'storage' ? (target as Extract<UploadsTarget, { kind: 'storage' }>) : undefined
}
/** An uploads bucket with its credentials: what the bucket's own inputs need to be read at all. */
const withBucket = { [MigrateInputs.uploadsBucket]: 'uploads', [MigrateInputs.s3AccessKeyId]: ACCESS_KEY, [MigrateInputs.s3SecretAccessKey]: SECRET_KEY }

/** `<Secret key>=<config key>` lines as written (blank and `#` lines skipped), each split at its first `=`. */
const mappingLines = (raw: string): [string, string][] =>
  raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim()])

const mappingCase = (variant: 'secret key' | 'config key'): InputCase => ({
  input: MigrateInputs.secretKeys,
  variant,
  lines: true,
  reaches: ['runner', 'host'],
  wrap: (h) => (variant === 'secret key' ? `${h}=PHOENIX_KEY_BASE` : `secret-key-base=${h}`),
  found: (s) => [...(settings(s).secret?.keys ?? new Map<string, string>())],
  expected: mappingLines
})

export const backupRunMigrateInputs: ActionInputTable = {
  action: 'backup-run migrate',
  read: (inputs) => readMigrateInputs(inputs),
  base: {
    ...COMMON_BASE,
    mode: 'migrate',
    kubeconfig: KUBECONFIG,
    app: 'uro',
    'k8s-namespace': 'uro',
    'k8s-secret': 'uro-prod',
    'database-pod': 'statefulset/postgres',
    'database-name': 'uro_prod',
    'database-service': 'uro-db',
    'uploads-pod': 'deploy/uro-deployment'
  },
  baseSecrets: [...COMMON_SECRETS, KUBECONFIG.trim(), 'hostile-kube-token-never-shown', SECRET_KEY, ACCESS_KEY],
  cases: [
    { input: MigrateInputs.kubeconfig, reaches: ['runner'], secret: true, found: (s) => settings(s).kubeconfig },
    { input: MigrateInputs.kubectl, reaches: ['runner'], found: (s) => settings(s).kubectl },
    { input: MigrateInputs.namespace, reaches: ['url'], found: (s) => settings(s).namespace },
    { input: MigrateInputs.secret, reaches: ['url'], found: (s) => settings(s).secret?.name },
    mappingCase('secret key'),
    mappingCase('config key'),
    { input: MigrateInputs.app, reaches: ['host'], found: (s) => settings(s).app, send: (dokku, s) => dokku.apps.exists(settings(s).app) },
    { input: MigrateInputs.databasePod, reaches: ['url'], found: (s) => settings(s).database?.pod },
    { input: MigrateInputs.databaseContainer, reaches: ['url'], found: (s) => settings(s).database?.container },
    { input: MigrateInputs.databaseName, reaches: ['url'], found: (s) => settings(s).database?.name },
    { input: MigrateInputs.databaseUser, reaches: ['url'], found: (s) => settings(s).database?.user },
    {
      input: MigrateInputs.databaseService,
      reaches: ['host'],
      found: (s) => settings(s).database?.service,
      send: (dokku, s) => dokku.postgres.exists(settings(s).database?.service as string)
    },
    { input: MigrateInputs.uploadsPod, reaches: ['url'], found: (s) => settings(s).uploads?.pod },
    { input: MigrateInputs.uploadsContainer, reaches: ['url'], found: (s) => settings(s).uploads?.container },
    { input: MigrateInputs.uploadsPath, reaches: ['url', 'host'], found: (s) => settings(s).uploads?.path, expected: (raw) => raw.trim().replace(/\/+$/, '') || '/' },
    {
      input: MigrateInputs.uploadsStorage,
      reaches: ['host'],
      found: (s) => storageTarget(s)?.storage,
      send: (dokku, s) => dokku.storage.exec(storageTarget(s)?.storage as string, ['true'])
    },
    { input: MigrateInputs.uploadsBucket, reaches: ['url'], with: withBucket, found: (s) => bucketTarget(s)?.s3.bucket },
    { input: MigrateInputs.uploadsPrefix, reaches: ['url'], with: withBucket, found: (s) => bucketTarget(s)?.prefix, expected: (raw) => normalizePrefix(raw.trim()) },
    { input: MigrateInputs.s3Endpoint, reaches: ['url'], with: withBucket, found: (s) => bucketTarget(s)?.s3.endpoint, expected: (raw) => new URL(raw.trim()).origin },
    { input: MigrateInputs.s3Region, reaches: ['url'], with: withBucket, found: (s) => bucketTarget(s)?.s3.region },
    { input: MigrateInputs.s3AccessKeyId, reaches: ['url'], secret: true, with: withBucket, found: (s) => bucketTarget(s)?.s3.accessKeyId },
    { input: MigrateInputs.s3SecretAccessKey, reaches: ['url'], secret: true, with: withBucket, found: (s) => bucketTarget(s)?.s3.secretAccessKey }
  ]
}
