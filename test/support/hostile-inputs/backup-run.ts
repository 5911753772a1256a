// backup-run's inputs: sources and targets name services, apps and buckets on the host; the S3
// settings make the URLs and keys the runner requests; the age keys go to the runner's age.
import { normalizePrefix } from '../../../src/core/backup/keys.ts'
import { Inputs, readBackupInputs, type BackupConfig } from '../../../src/actions/backup-run/inputs.ts'
import { AGE_IDENTITY, AGE_RECIPIENT, COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable, InputCase } from './types.ts'

const SECRET_KEY = 'hostile-secret-access-key-never-shown'
const ACCESS_KEY = 'AKIAHOSTILENEVERSHOWN'
const settings = (s: unknown) => s as BackupConfig
const firstSourceName = (s: unknown) => settings(s).sources[0]?.name
/** The first item of a one-a-line list input (blank and `#` lines skipped), after its `kind:`. */
const firstListItem = (raw: string) => raw.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#')) ?? ''
const fromSource = (raw: string) => {
  const item = firstListItem(raw)
  return item.slice(item.indexOf(':') + 1).trim()
}

const sourceCase = (kind: 'postgres' | 'redis' | 'config' | 'cockroach' | 'bucket', send?: InputCase['send']): InputCase => ({
  input: Inputs.sources,
  variant: kind,
  lines: true,
  reaches: kind === 'bucket' ? ['url'] : ['host'],
  ...(kind === 'bucket' ? { with: { [Inputs.sourceS3AccessKeyId]: ACCESS_KEY, [Inputs.sourceS3SecretAccessKey]: SECRET_KEY } } : {}),
  wrap: (h) => `${kind}:${h}`,
  found: firstSourceName,
  expected: fromSource,
  ...(send ? { send } : {})
})

export const backupRunInputs: ActionInputTable = {
  action: 'backup-run',
  read: (inputs) => readBackupInputs(inputs),
  base: {
    ...COMMON_BASE,
    's3-endpoint': 'https://s3.example.com',
    's3-bucket': 'backups',
    's3-access-key-id': ACCESS_KEY,
    's3-secret-access-key': SECRET_KEY,
    sources: 'postgres:db',
    'age-recipients': AGE_RECIPIENT
  },
  baseSecrets: [...COMMON_SECRETS, SECRET_KEY, ACCESS_KEY, AGE_IDENTITY],
  cases: [
    sourceCase('postgres', (dokku, s) => dokku.postgres.exists(firstSourceName(s) as string)),
    sourceCase('redis', (dokku, s) => dokku.redis.exists(firstSourceName(s) as string)),
    sourceCase('config', (dokku, s) => dokku.config.export(firstSourceName(s) as string)),
    sourceCase('cockroach', (dokku, s) => dokku.apps.exists(firstSourceName(s) as string)),
    sourceCase('bucket'),
    {
      input: Inputs.target,
      reaches: ['host'],
      with: { [Inputs.mode]: 'restore', [Inputs.ageIdentity]: AGE_IDENTITY },
      wrap: (h) => `postgres:${h}`,
      found: (s) => settings(s).target?.name,
      expected: fromSource,
      send: (dokku, s) => dokku.postgres.exists(settings(s).target?.name as string)
    },
    { input: Inputs.s3Bucket, reaches: ['url'], found: (s) => settings(s).destination.bucket },
    { input: Inputs.s3Prefix, reaches: ['url'], found: (s) => settings(s).prefix, expected: (raw) => normalizePrefix(raw.trim()) },
    { input: Inputs.s3Endpoint, reaches: ['url'], found: (s) => settings(s).destination.endpoint, expected: (raw) => new URL(raw.trim()).origin },
    { input: Inputs.s3Region, reaches: ['url'], found: (s) => settings(s).destination.region },
    {
      input: Inputs.sourceS3Endpoint,
      reaches: ['url'],
      with: { [Inputs.sources]: 'bucket:uploads', [Inputs.sourceS3AccessKeyId]: ACCESS_KEY, [Inputs.sourceS3SecretAccessKey]: SECRET_KEY },
      found: (s) => settings(s).sourceS3?.endpoint,
      expected: (raw) => new URL(raw.trim()).origin
    },
    { input: Inputs.backup, reaches: ['url'], with: { [Inputs.mode]: 'verify' }, found: (s) => settings(s).backupId },
    { input: Inputs.ageRecipients, lines: true, reaches: ['runner'], found: (s) => (settings(s).encryption as { recipients?: string[] }).recipients?.[0], expected: firstListItem },
    { input: Inputs.ageIdentity, lines: true, reaches: ['runner'], secret: true, found: (s) => settings(s).keys.identities[0], expected: firstListItem },
    { input: Inputs.passphrase, reaches: ['runner'], secret: true, with: { [Inputs.ageRecipients]: '' }, found: (s) => settings(s).keys.passphrase },
    { input: Inputs.s3SecretAccessKey, reaches: ['url'], secret: true, found: (s) => settings(s).destination.secretAccessKey },
    { input: Inputs.s3AccessKeyId, reaches: ['url'], secret: true, found: (s) => settings(s).destination.accessKeyId }
  ]
}
