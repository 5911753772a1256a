import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { readBackupInputs } from '../../../src/actions/backup-run/inputs.ts'
import { run } from '../../../src/actions/backup-run/main.ts'
import { MAX_SERVICE_NAME } from '../../../src/core/dokku/names.ts'
import { ConfigurationError } from '../../../src/core/errors.ts'
import { scratchName } from '../../../src/actions/backup-run/verify.ts'
import { mirrorName } from '../../../src/actions/backup-run/bucket.ts'
import { clearSecretsForTest, redact } from '../../../src/core/secrets.ts'
import { captureStdout, inputsFrom } from '../../support/inputs.ts'
import { testKeyInputs } from '../../support/keys.ts'

// Keys are made for each run: no private key lives in the repository.
const KEY = testKeyInputs()['ssh-private-key'] as string
const HOST_KEY = testKeyInputs()['ssh-host-key'] as string
const AGE_KEY = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
const RECIPIENT = (/^# public key: (age1\S+)$/m.exec(AGE_KEY) as RegExpExecArray)[1] as string
const IDENTITY = AGE_KEY.split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-')) as string

const base: Record<string, string> = {
  host: 'dokku.example.com',
  'ssh-private-key': KEY,
  'ssh-host-key': HOST_KEY,
  's3-endpoint': 'https://s3.example.com',
  's3-bucket': 'backups',
  's3-access-key-id': 'AKIAEXAMPLE',
  's3-secret-access-key': 'very-secret-key-value',
  sources: 'postgres:db\nredis:cache\n# a comment\nconfig:uro',
  'age-recipients': RECIPIENT
}

const read = (values: Record<string, string>) => readBackupInputs(inputsFrom(values))

afterEach(() => clearSecretsForTest())

describe('readBackupInputs', () => {
  it('reads a backup step', () => {
    const config = read(base)
    expect(config).toMatchObject({
      mode: 'backup',
      sources: [{ kind: 'postgres', name: 'db' }, { kind: 'redis', name: 'cache' }, { kind: 'config', name: 'uro' }],
      destination: { endpoint: 'https://s3.example.com', region: 'us-east-1', bucket: 'backups' },
      prefix: 'dokku-stack/',
      encryption: { kind: 'age-recipients', recipients: [RECIPIENT] },
      compression: 'zstd',
      timeoutMs: 6 * 3_600_000
    })
  })

  it('masks every secret input before any other input can fail', () => {
    const out = captureStdout(() => expect(() => read({ ...base, host: 'not a host', 'age-identity': IDENTITY, passphrase: 'pass phrase 1' })).toThrow(/Input "host"/))
    for (const secret of ['very-secret-key-value', IDENTITY, 'pass phrase 1', 'AKIAEXAMPLE']) {
      expect(out).toContain(`::add-mask::${secret}`)
      expect(redact(`x ${secret} y`)).toBe('x *** y')
    }
  })

  it('fails on host first, as every action does', () => {
    expect(() => read({ 'ssh-private-key': KEY })).toThrow(/Input "host" is required/)
  })

  it.each([
    [{ 'age-recipients': '' }, /Backups are always encrypted/],
    [{ 'age-recipients': 'age1nope' }, /must hold age recipients/],
    [{ passphrase: 'x y z' }, /cannot both be set/],
    [{ sources: '' }, /"sources" is required for mode backup/],
    [{ sources: 'mysql:db' }, /kind one of postgres, redis, cockroach, bucket, config/],
    [{ sources: 'postgres:d.erp' }, /not a service name/],
    [{ sources: 'postgres:db\npostgres:db' }, /names postgres:db twice/],
    [{ 's3-endpoint': 'https://s3.example.com/backups' }, /endpoint only/],
    [{ 's3-bucket': 'Bad_Bucket' }, /"s3-bucket" has a bucket name that may contain only lowercase letters.*got "Bad_Bucket"/],
    [{ 's3-secret-access-key': '' }, /destination's credentials/],
    [{ mode: 'prune' }, /needs a retention policy/],
    [{ mode: 'restore', sources: 'postgres:db' }, /decrypts the backup: set "age-identity"/],
    [{ mode: 'restore', sources: 'postgres:db', target: 'redis:x', 'age-identity': IDENTITY }, /same kind as the source/],
    [{ mode: 'backup', target: 'postgres:x' }, /only used by mode restore/],
    [{ mode: 'verify', backup: 'latest' }, /must be a backup id/],
    [{ 's3-prefix': '../x' }, /must be a key prefix/],
    [{ sources: 'bucket:uploads' }, /need "source-s3-access-key-id"/],
    [{ 'age-identity': 'AGE-SECRET-KEY-1nothex!' }, /must hold age identities/]
  ])('refuses %o', (override, message) => {
    expect(() => read({ ...base, ...override })).toThrow(message)
  })

  it('names every mode the action takes, migrate included, when the mode is unknown', async () => {
    const refused = await run(inputsFrom({ ...base, mode: 'bakcup' })).catch((error: unknown) => error as Error)
    expect(refused).toBeInstanceOf(ConfigurationError)
    expect((refused as Error).message).toContain('"mode"')
    expect((refused as Error).message).toContain('bakcup')
    expect((refused as Error).message).toContain('Use one of: backup, restore, verify, prune, list, migrate.')
  })

  it('lets verify, prune and list run over every source under the prefix', () => {
    expect(read({ ...base, sources: '', mode: 'prune', 'keep-daily': '7' }).sources).toEqual([])
    expect(read({ ...base, sources: '', mode: 'list', 'age-recipients': '' }).encryption).toEqual({ kind: 'none' })
  })
})

describe('names', () => {
  it('scratch services stay within 63 characters', () => {
    expect(scratchName('db', new Date(0))).toBe('db-drill-0')
    expect(scratchName('x'.repeat(80), new Date('2026-11-24T00:00:00Z')).length).toBe(MAX_SERVICE_NAME)
  })

  it('mirrored objects are named by source identity', () => {
    expect(mirrorName('b', 'k', 1, 'e')).toMatch(/^[0-9a-f]{64}$/)
    expect(mirrorName('b', 'k', 1, 'e')).not.toBe(mirrorName('b', 'k', 1, 'f'))
  })
})
