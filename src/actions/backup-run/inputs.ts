import { parseSourceRef, SOURCE_KINDS, sourceLabel, type SourceRef } from '../../core/backup/keys.js'
import type { RetentionPolicy } from '../../core/backup/retention.js'
import { COMPRESSIONS, type Compression, type DecryptionKeys, type Encryption } from '../../core/backup/streams.js'
import { ConfigurationError } from '../../core/errors.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { appNameProblem, serviceNameProblem } from '../../core/dokku/names.js'
import { invalid, type InputReader } from '../../core/inputs/readers.js'
import { checkBucketName, readKeyPrefix, readS3Endpoint, readS3Region } from '../../core/inputs/s3.js'
import type { S3Settings } from '../../core/s3/client.js'
import { bucketNameProblem } from '../../core/s3/names.js'
import { MigrateInputs, MigrateOutputs } from './migrate-inputs.js'
import { parseSeaweedSource } from './seaweed.js'

export const Inputs = {
  // Mode migrate's inputs (migrate-inputs.ts); `overwrite` and `timeout` below are shared with it.
  ...MigrateInputs,
  mode: 'mode',
  sources: 'sources',
  target: 'target',
  backup: 'backup',
  overwrite: 'overwrite',
  drill: 'drill',
  s3Endpoint: 's3-endpoint',
  s3Region: 's3-region',
  s3Bucket: 's3-bucket',
  s3Prefix: 's3-prefix',
  s3AccessKeyId: 's3-access-key-id',
  s3SecretAccessKey: 's3-secret-access-key',
  sourceS3Endpoint: 'source-s3-endpoint',
  sourceS3Region: 'source-s3-region',
  sourceS3AccessKeyId: 'source-s3-access-key-id',
  sourceS3SecretAccessKey: 'source-s3-secret-access-key',
  ageRecipients: 'age-recipients',
  ageIdentity: 'age-identity',
  passphrase: 'passphrase',
  compression: 'compression',
  keepLast: 'keep-last',
  keepDaily: 'keep-daily',
  keepWeekly: 'keep-weekly',
  keepMonthly: 'keep-monthly',
  rowCounts: 'row-counts',
  timeout: 'timeout',
  concurrency: 'concurrency'
} as const

export const Outputs = {
  backups: 'backups',
  count: 'count',
  recoveryPointAge: 'recovery-point-age',
  pruned: 'pruned',
  failed: 'failed',
  ...MigrateOutputs
} as const

export const MODES = ['backup', 'restore', 'verify', 'prune', 'list'] as const
export type Mode = (typeof MODES)[number]
/** Every mode the action takes: migrate reads its own inputs (migrate-inputs.ts), the others these. */
export const ACTION_MODES = [...MODES, 'migrate'] as const

export interface BackupConfig extends CommonSettings {
  mode: Mode
  sources: SourceRef[]
  target: SourceRef | undefined
  backupId: string | undefined
  overwrite: boolean
  drill: boolean
  destination: S3Settings
  prefix: string
  /** Where `bucket:` sources are read from (SeaweedFS on the Dokku host, through its S3 endpoint). */
  sourceS3: Omit<S3Settings, 'bucket'> | undefined
  /** `seaweed:<app>/<bucket>` sources: bucket → the SeaweedFS app whose backup key reads it. */
  seaweedSources: Map<string, string>
  encryption: Encryption
  keys: DecryptionKeys
  compression: Compression
  retention: RetentionPolicy
  /** Exact per-table row counts in the manifest, counted on the runner from the dump as it streams. */
  rowCounts: boolean
  timeoutMs: number
  concurrency: number
}

const DEFAULT_PREFIX = 'dokku-stack/'

export function readBackupInputs(inputs: InputReader): BackupConfig {
  // Secrets first: masked before any other input can fail and print an error.
  const secretAccessKey = inputs.secret(Inputs.s3SecretAccessKey)
  const accessKeyId = inputs.secret(Inputs.s3AccessKeyId)
  const sourceSecret = inputs.secret(Inputs.sourceS3SecretAccessKey)
  const sourceKeyId = inputs.secret(Inputs.sourceS3AccessKeyId)
  const identityText = inputs.secret(Inputs.ageIdentity)
  const passphrase = inputs.secret(Inputs.passphrase)
  const common = readCommonInputs(inputs)

  const mode = inputs.oneOf(Inputs.mode, MODES, 'backup')
  const seaweedSources = new Map<string, string>()
  const sources = readSources(inputs, mode, seaweedSources)
  const target = readTarget(inputs, mode, sources)

  const bucket = inputs.required(Inputs.s3Bucket, 'Set it to the bucket that holds the backups, e.g. s3-bucket: backups.')
  checkBucketName(Inputs.s3Bucket, bucket, 'backups')
  if (!accessKeyId || !secretAccessKey)
    throw new ConfigurationError(
      `Inputs "${Inputs.s3AccessKeyId}" and "${Inputs.s3SecretAccessKey}" are required: the destination's credentials, from secrets. They stay on the runner and never reach the Dokku host.`,
      accessKeyId ? Inputs.s3SecretAccessKey : Inputs.s3AccessKeyId
    )
  const destination: S3Settings = {
    endpoint: readS3Endpoint(inputs, Inputs.s3Endpoint),
    region: readS3Region(inputs, Inputs.s3Region),
    bucket,
    accessKeyId,
    secretAccessKey
  }

  let sourceS3: BackupConfig['sourceS3']
  const needsSourceS3 =
    [...sources.filter((s) => !(mode === 'backup' && seaweedSources.has(s.name))), ...(target ? [target] : [])].some((s) => s.kind === 'bucket') && (mode === 'backup' || mode === 'restore')
  if (needsSourceS3) {
    if (!sourceKeyId || !sourceSecret)
      throw new ConfigurationError(
        `bucket: sources need "${Inputs.sourceS3AccessKeyId}" and "${Inputs.sourceS3SecretAccessKey}" (and "${Inputs.sourceS3Endpoint}"): the credentials of the S3 store the buckets are read from (SeaweedFS on the host).`,
        Inputs.sourceS3AccessKeyId
      )
    sourceS3 = { endpoint: readS3Endpoint(inputs, Inputs.sourceS3Endpoint), region: readS3Region(inputs, Inputs.sourceS3Region), accessKeyId: sourceKeyId, secretAccessKey: sourceSecret }
  }
  if (seaweedSources.size > 0 && mode !== 'backup')
    throw new ConfigurationError(`seaweed: sources are for mode backup; for mode ${mode} name the bucket as bucket:<name> (its backups are stored under that name).`, Inputs.sources)

  const recipients = inputs.list(Inputs.ageRecipients)
  for (const recipient of recipients)
    if (!/^age1[02-9ac-hj-np-z]{20,}$/.test(recipient))
      throw invalid(Inputs.ageRecipients, recipient, 'must hold age recipients (public keys), one a line', 'Generate a key pair with `age-keygen` and put the "Public key: age1…" here; keep the AGE-SECRET-KEY-1… line in a secret for age-identity.')
  if (recipients.length > 0 && passphrase)
    throw new ConfigurationError(`Inputs "${Inputs.ageRecipients}" and "${Inputs.passphrase}" cannot both be set: age encrypts to recipients or to one passphrase. Prefer age-recipients.`, Inputs.passphrase)
  const encryption: Encryption =
    recipients.length > 0 ? { kind: 'age-recipients', recipients } : passphrase ? { kind: 'age-passphrase', passphrase } : { kind: 'none' }
  if (mode === 'backup' && encryption.kind === 'none')
    throw new ConfigurationError(
      `Backups are always encrypted: set "${Inputs.ageRecipients}" (age public keys, one a line; recommended) or "${Inputs.passphrase}" (from a secret). ` +
        'Create a key pair with `age-keygen -o key.txt`; the private key goes in a secret for restores (age-identity).',
      Inputs.ageRecipients
    )
  const identities = (identityText ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  for (const identity of identities)
    if (!/^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/.test(identity))
      throw new ConfigurationError(`Input "${Inputs.ageIdentity}" must hold age identities (AGE-SECRET-KEY-1…), one a line, as written by age-keygen; one of its lines is not one (not shown: it is a secret).`, Inputs.ageIdentity)
  const keys: DecryptionKeys = { identities, passphrase }
  if ((mode === 'restore' || (mode === 'verify' && inputs.boolean(Inputs.drill, false))) && identities.length === 0 && !passphrase)
    throw new ConfigurationError(`Mode ${mode} decrypts the backup: set "${Inputs.ageIdentity}" (the AGE-SECRET-KEY-1… line, from a secret) or "${Inputs.passphrase}".`, Inputs.ageIdentity)

  const retention: RetentionPolicy = {
    keepLast: inputs.integer(Inputs.keepLast, { fallback: 0, min: 0, max: 10_000 }),
    keepDaily: inputs.integer(Inputs.keepDaily, { fallback: 0, min: 0, max: 10_000 }),
    keepWeekly: inputs.integer(Inputs.keepWeekly, { fallback: 0, min: 0, max: 10_000 }),
    keepMonthly: inputs.integer(Inputs.keepMonthly, { fallback: 0, min: 0, max: 10_000 })
  }
  if (mode === 'prune' && retention.keepLast + retention.keepDaily + retention.keepWeekly + retention.keepMonthly === 0)
    throw new ConfigurationError(
      `Mode prune needs a retention policy: set at least one of ${Inputs.keepLast}, ${Inputs.keepDaily}, ${Inputs.keepWeekly}, ${Inputs.keepMonthly} (e.g. keep-daily: 7, keep-weekly: 4, keep-monthly: 12).`,
      Inputs.keepLast
    )

  const backupId = inputs.optional(Inputs.backup)
  if (backupId !== undefined && !/^\d{8}T\d{6}\.\d{3}Z$/.test(backupId))
    throw invalid(Inputs.backup, backupId, 'must be a backup id', 'Use an id from mode: list, e.g. 20261124T020000.123Z, or leave it empty for the newest complete backup.')

  return {
    ...common,
    mode,
    sources,
    target,
    backupId,
    overwrite: inputs.boolean(Inputs.overwrite, false),
    drill: inputs.boolean(Inputs.drill, false),
    destination,
    prefix: readKeyPrefix(inputs, Inputs.s3Prefix, DEFAULT_PREFIX, `${DEFAULT_PREFIX} or backups/prod/`),
    sourceS3,
    seaweedSources,
    encryption,
    keys,
    compression: inputs.oneOf(Inputs.compression, COMPRESSIONS, 'zstd'),
    retention,
    rowCounts: inputs.boolean(Inputs.rowCounts, true),
    timeoutMs: inputs.duration(Inputs.timeout, { fallbackMs: 6 * 3_600_000, maxMs: 48 * 3_600_000 }),
    concurrency: inputs.integer(Inputs.concurrency, { fallback: 8, min: 1, max: 64 })
  }
}

function readSources(inputs: InputReader, mode: Mode, seaweedSources: Map<string, string>): SourceRef[] {
  const lines = inputs.list(Inputs.sources)
  const sources = lines.map((line) => {
    const seaweed = parseSeaweedSource(Inputs.sources, line)
    if (!seaweed) return checkSource(Inputs.sources, line)
    checkSource(Inputs.sources, `bucket:${seaweed.source.name}`)
    seaweedSources.set(seaweed.source.name, seaweed.app)
    return seaweed.source
  })
  const seen = new Set<string>()
  for (const s of sources) {
    const label = sourceLabel(s)
    if (seen.has(label)) throw new ConfigurationError(`Input "${Inputs.sources}" names ${label} twice. Keep one line.`, Inputs.sources)
    seen.add(label)
  }
  if (sources.length === 0 && (mode === 'backup' || mode === 'restore'))
    throw new ConfigurationError(
      `Input "${Inputs.sources}" is required for mode ${mode}: one source a line, e.g.\n  postgres:db\n  redis:cache\n  config:uro\n  bucket:uploads`,
      Inputs.sources
    )
  return sources
}

function readTarget(inputs: InputReader, mode: Mode, sources: SourceRef[]): SourceRef | undefined {
  const text = inputs.optional(Inputs.target)
  if (text === undefined) return undefined
  if (mode !== 'restore') throw new ConfigurationError(`Input "${Inputs.target}" is only used by mode restore; this step's mode is ${mode}. Remove it.`, Inputs.target)
  if (sources.length !== 1) throw new ConfigurationError(`Input "${Inputs.target}" needs exactly one source to restore from; "${Inputs.sources}" has ${sources.length}.`, Inputs.target)
  const target = checkSource(Inputs.target, text)
  const source = sources[0] as SourceRef
  if (target.kind !== source.kind) throw invalid(Inputs.target, text, `must be of the same kind as the source (${source.kind}:)`, `For example ${source.kind}:${source.name}-restored.`)
  return target
}

function checkSource(input: string, line: string): SourceRef {
  const source = parseSourceRef(line)
  if (!source) throw invalid(input, line, `must be <kind>:<name> with kind one of ${SOURCE_KINDS.join(', ')}`, 'For example postgres:db, redis:cache, config:uro, bucket:uploads or seaweed:seaweedfs/uploads.')
  const ok = source.kind === 'config' || source.kind === 'cockroach' ? appNameProblem(source.name) === undefined : source.kind === 'bucket' ? bucketNameProblem(source.name) === undefined : serviceNameProblem(source.name) === undefined
  if (!ok) {
    const what = source.kind === 'config' || source.kind === 'cockroach' ? 'a Dokku app name' : source.kind === 'bucket' ? 'a bucket name' : 'a service name (letters, digits, _ and -)'
    throw invalid(input, line, `names ${JSON.stringify(source.name)}, which is not ${what}`, 'Check the name with dokku apps:list / postgres:list / redis:list.')
  }
  return source
}

