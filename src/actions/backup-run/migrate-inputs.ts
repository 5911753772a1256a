import { ConfigurationError } from '../../core/errors.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { CONFIG_KEY } from '../../core/dokku/names.js'
import { invalid, type InputReader } from '../../core/inputs/readers.js'
import { checkBucketName, readKeyPrefix, readS3Endpoint, readS3Region } from '../../core/inputs/s3.js'
import type { S3Settings } from '../../core/s3/client.js'
import { K8S_NAME, POD_TARGET, type PodTarget } from '../../core/k8s/kubectl.js'
import { URO_SECRET_MAP } from '../../core/k8s/secret.js'

/** The inputs of mode migrate (backup-run's Inputs include them; `overwrite` and `timeout` are shared). */
export const MigrateInputs = {
  kubeconfig: 'kubeconfig',
  kubectl: 'kubectl',
  namespace: 'k8s-namespace',
  app: 'app',
  secret: 'k8s-secret',
  secretKeys: 'k8s-secret-keys',
  databasePod: 'database-pod',
  databaseContainer: 'database-container',
  databaseEngine: 'database-engine',
  databaseName: 'database-name',
  databaseUser: 'database-user',
  databaseService: 'database-service',
  uploadsPod: 'uploads-pod',
  uploadsContainer: 'uploads-container',
  uploadsPath: 'uploads-path',
  uploadsStorage: 'uploads-storage',
  uploadsBucket: 'uploads-bucket',
  uploadsPrefix: 'uploads-prefix',
  // The S3 store of uploads-bucket: the same inputs backup-run's other modes read for the destination.
  s3Endpoint: 's3-endpoint',
  s3Region: 's3-region',
  s3AccessKeyId: 's3-access-key-id',
  s3SecretAccessKey: 's3-secret-access-key',
  concurrency: 'concurrency',
  overwrite: 'overwrite',
  timeout: 'timeout'
} as const

export const MigrateOutputs = {
  changed: 'changed',
  migration: 'migration'
} as const

export const DATABASE_ENGINES = ['postgres', 'cockroach'] as const

export interface DatabaseSource extends PodTarget {
  readonly name: string
  readonly user: string
  /** The Dokku postgres service it is copied into. */
  readonly service: string
}

/** Where the uploads go: a Dokku storage entry mounted into the app, or a bucket (Uro's S3 fork, SeaweedFS). */
export type UploadsTarget =
  /** The Dokku storage entry the files go into, mounted into the app at the same path. */
  | { readonly kind: 'storage'; readonly storage: string }
  /** One object a file, key = prefix + the file's path under the uploads directory. */
  | { readonly kind: 'bucket'; readonly s3: S3Settings; readonly prefix: string }

export interface UploadsSource extends PodTarget {
  /** The directory in the pod (Uro: /app/uploads). */
  readonly path: string
  readonly target: UploadsTarget
}

export interface MigrateConfig extends CommonSettings {
  readonly kubeconfig: string
  readonly kubectl: string
  readonly namespace: string
  readonly app: string
  /** The Secret to map into the app's config, with its key mapping (Secret key → config key). */
  readonly secret: { readonly name: string; readonly keys: ReadonlyMap<string, string> } | undefined
  readonly database: DatabaseSource | undefined
  readonly uploads: UploadsSource | undefined
  /** Replace a target database that holds data this action did not put there. */
  readonly overwrite: boolean
  /** Objects uploaded (small files) or read back at once, for an uploads bucket. */
  readonly concurrency: number
  readonly timeoutMs: number
}

const ABSOLUTE_PATH = /^\/[^\0\n]*$/
const STORAGE_ENTRY = /^[a-z0-9]([a-z0-9-]{0,43}[a-z0-9])?$/
const PG_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/

export function readMigrateInputs(inputs: InputReader): MigrateConfig {
  // Secrets first: masked before any other input can fail and print an error.
  const kubeconfig = inputs.secret(MigrateInputs.kubeconfig, {
    required: true,
    hint: 'Store the cluster\'s kubeconfig as a secret and pass it with `kubeconfig: ${{ secrets.KUBECONFIG }}`; it is written to a mode-600 file for the run and removed after.'
  })
  const s3SecretAccessKey = inputs.secret(MigrateInputs.s3SecretAccessKey)
  const s3AccessKeyId = inputs.secret(MigrateInputs.s3AccessKeyId)
  const common = readCommonInputs(inputs)
  const app = inputs.appName(MigrateInputs.app, { required: true })
  const namespace = inputs.string(MigrateInputs.namespace, 'default')
  if (!K8S_NAME.test(namespace) || namespace.includes('.')) throw invalid(MigrateInputs.namespace, namespace, 'must be a Kubernetes namespace name', 'For example default or uro.')

  let secret: MigrateConfig['secret']
  const secretName = inputs.optional(MigrateInputs.secret)
  if (secretName !== undefined) {
    if (!K8S_NAME.test(secretName)) throw invalid(MigrateInputs.secret, secretName, 'must be a Kubernetes Secret name', 'For example uro-prod.')
    secret = { name: secretName, keys: readSecretKeys(inputs) }
  } else if (inputs.optional(MigrateInputs.secretKeys) !== undefined) {
    throw new ConfigurationError(`Input "${MigrateInputs.secretKeys}" maps the keys of a Secret, but "${MigrateInputs.secret}" names none. Set ${MigrateInputs.secret} (e.g. uro-prod) or remove ${MigrateInputs.secretKeys}.`, MigrateInputs.secretKeys)
  }

  const database = readDatabase(inputs)
  const uploads = readUploads(inputs, app, { accessKeyId: s3AccessKeyId, secretAccessKey: s3SecretAccessKey })
  if (!secret && !database && !uploads)
    throw new ConfigurationError(
      `Nothing to migrate: set at least one of "${MigrateInputs.secret}" (a Secret to map into ${app}'s config), "${MigrateInputs.databasePod}" (the pod to pg_dump from) or "${MigrateInputs.uploadsPod}" (the pod whose ${MigrateInputs.uploadsPath} to copy).`,
      MigrateInputs.secret
    )

  return {
    ...common,
    kubeconfig,
    kubectl: readKubectl(inputs),
    namespace,
    app,
    secret,
    database,
    uploads,
    overwrite: inputs.boolean(MigrateInputs.overwrite, false),
    concurrency: inputs.integer(MigrateInputs.concurrency, { fallback: 8, min: 1, max: 64 }),
    timeoutMs: inputs.duration(MigrateInputs.timeout, { fallbackMs: 6 * 3_600_000, maxMs: 48 * 3_600_000 })
  }
}

/** The kubectl binary: a name on PATH or a path, run without a shell; a control character in it is a mistake. */
function readKubectl(inputs: InputReader): string {
  const binary = inputs.string(MigrateInputs.kubectl, 'kubectl')
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(binary)) throw invalid(MigrateInputs.kubectl, binary, 'must be a program name or path, without control characters', 'For example kubectl or /usr/local/bin/kubectl.')
  return binary
}

/** `<Secret key>=<CONFIG_KEY>` lines; empty: Uro's mapping (URO_SECRET_MAP). */
function readSecretKeys(inputs: InputReader): ReadonlyMap<string, string> {
  const lines = inputs.list(MigrateInputs.secretKeys)
  if (lines.length === 0) return URO_SECRET_MAP
  const map = new Map<string, string>()
  for (const line of lines) {
    const match = /^([A-Za-z0-9._-]+)\s*=\s*(\S+)$/.exec(line)
    if (!match) throw invalid(MigrateInputs.secretKeys, line, 'must be <Secret key>=<config key>, one a line', 'For example secret-key-base=PHOENIX_KEY_BASE.')
    const configKey = match[2] as string
    if (!CONFIG_KEY.test(configKey)) throw invalid(MigrateInputs.secretKeys, line, `maps to ${JSON.stringify(configKey)}, which is not a config key`, 'Config keys start with a letter or underscore and hold only letters, digits and underscores.')
    if ([...map.values()].includes(configKey)) throw invalid(MigrateInputs.secretKeys, line, `maps a second Secret key to ${configKey}`, 'Map each config key once.')
    if (map.has(match[1] as string)) throw invalid(MigrateInputs.secretKeys, line, `maps ${match[1] as string} a second time`, 'Map each Secret key once.')
    map.set(match[1] as string, configKey)
  }
  return map
}

function readPod(inputs: InputReader, podInput: string, containerInput: string): PodTarget | undefined {
  const pod = inputs.optional(podInput)
  const container = inputs.optional(containerInput)
  if (pod === undefined) {
    if (container !== undefined) throw new ConfigurationError(`Input "${containerInput}" needs "${podInput}": the pod (or deploy/<name>) the container belongs to.`, containerInput)
    return undefined
  }
  if (!POD_TARGET.test(pod)) throw invalid(podInput, pod, 'must be a pod name or <kind>/<name>', 'For example uro-postgres-0, statefulset/postgres or deploy/uro-deployment.')
  if (container !== undefined && !K8S_NAME.test(container)) throw invalid(containerInput, container, 'must be a container name', 'For example uro or postgres.')
  return { pod, container }
}

function readDatabase(inputs: InputReader): DatabaseSource | undefined {
  const pod = readPod(inputs, MigrateInputs.databasePod, MigrateInputs.databaseContainer)
  const engine = inputs.oneOf(MigrateInputs.databaseEngine, DATABASE_ENGINES, 'postgres')
  if (!pod) return undefined
  if (engine === 'cockroach')
    throw new ConfigurationError(
      `database-engine: cockroach is not copied by this action. V-Sekai's cluster ran CockroachDB 20.2: its BACKUP restores only into 21.1 and Oxide's fork has no RESTORE, ` +
        `and the logical dump that 20.2 still has (\`cockroach dump\`) prints CockroachDB SQL that a Postgres target does not take as is and that no test here can run. ` +
        'Copy it by hand (see docs/scale-out.md, "Moving a CockroachDB 20.2 database"): run Uro\'s migrations against the new Postgres service, then copy each table as CSV (`cockroach sql --format=csv` → `\\copy`).',
      MigrateInputs.databaseEngine
    )
  const name = inputs.required(MigrateInputs.databaseName, 'The database to copy, e.g. database-name: uro_prod.')
  if (!PG_NAME.test(name)) throw invalid(MigrateInputs.databaseName, name, 'must be a database name', 'For example uro_prod.')
  const user = inputs.string(MigrateInputs.databaseUser, 'postgres')
  if (!PG_NAME.test(user)) throw invalid(MigrateInputs.databaseUser, user, 'must be a role name', 'For example postgres.')
  const service = inputs.serviceName(MigrateInputs.databaseService, { required: true })
  return { ...pod, name, user, service }
}

function readUploads(inputs: InputReader, app: string, credentials: { accessKeyId: string | undefined; secretAccessKey: string | undefined }): UploadsSource | undefined {
  const pod = readPod(inputs, MigrateInputs.uploadsPod, MigrateInputs.uploadsContainer)
  const storage = inputs.optional(MigrateInputs.uploadsStorage)
  const bucket = inputs.optional(MigrateInputs.uploadsBucket)
  if (!pod) {
    if (bucket !== undefined)
      throw new ConfigurationError(
        `Input "${MigrateInputs.uploadsBucket}" says where the uploads go, but "${MigrateInputs.uploadsPod}" names no pod to copy them from. Set ${MigrateInputs.uploadsPod} (e.g. deploy/uro-deployment) or remove ${MigrateInputs.uploadsBucket}.`,
        MigrateInputs.uploadsBucket
      )
    return undefined
  }
  const path = inputs.string(MigrateInputs.uploadsPath, '/app/uploads').replace(/\/+$/, '') || '/'
  if (!ABSOLUTE_PATH.test(path) || path.split('/').includes('..') || /[\s:]/.test(path)) throw invalid(MigrateInputs.uploadsPath, path, 'must be an absolute directory path without spaces or colons', 'For example /app/uploads.')
  if (bucket !== undefined && storage !== undefined)
    throw new ConfigurationError(
      `Inputs "${MigrateInputs.uploadsStorage}" and "${MigrateInputs.uploadsBucket}" are both set: the uploads go into one of them, a Dokku storage entry mounted into ${app} or an S3 bucket. Remove one.`,
      MigrateInputs.uploadsBucket
    )
  if (bucket !== undefined) return { ...pod, path, target: readUploadsBucket(inputs, bucket, credentials) }
  const entry = storage ?? `${app.replace(/\./g, '-')}-uploads`.slice(0, 45)
  if (!STORAGE_ENTRY.test(entry)) throw invalid(MigrateInputs.uploadsStorage, entry, 'must be a storage entry name (lowercase letters, digits and dashes, at most 45)', 'For example uro-uploads.')
  return { ...pod, path, target: { kind: 'storage', storage: entry } }
}

function readUploadsBucket(inputs: InputReader, bucket: string, credentials: { accessKeyId: string | undefined; secretAccessKey: string | undefined }): UploadsTarget {
  checkBucketName(MigrateInputs.uploadsBucket, bucket, 'uploads')
  const { accessKeyId, secretAccessKey } = credentials
  if (!accessKeyId || !secretAccessKey)
    throw new ConfigurationError(
      `Input "${MigrateInputs.uploadsBucket}" needs "${MigrateInputs.s3AccessKeyId}" and "${MigrateInputs.s3SecretAccessKey}" (and "${MigrateInputs.s3Endpoint}" unless it is AWS): a key allowed to list, read and write ${bucket}, from secrets. For a store made by seaweed-provision, its app's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
      accessKeyId ? MigrateInputs.s3SecretAccessKey : MigrateInputs.s3AccessKeyId
    )
  const s3: S3Settings = { endpoint: readS3Endpoint(inputs, MigrateInputs.s3Endpoint), region: readS3Region(inputs, MigrateInputs.s3Region), bucket, accessKeyId, secretAccessKey }
  return { kind: 'bucket', s3, prefix: readKeyPrefix(inputs, MigrateInputs.uploadsPrefix, '', 'uploads/ (what Uro\'s S3 fork writes under)') }
}
