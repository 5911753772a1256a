// backup-run observes and plans before it acts, also in a dry run: a missing source is named by the
// plan (and fails that source alone), and a dry run connects and reads but writes nothing — not to
// the destination bucket (its requests recorded), not to the host (the simulator's argv log). A
// sandbox of its own, so that both records hold this file's requests only.
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/backup-run/main.ts'
import { clearSecretsForTest } from '../../../src/core/secrets.ts'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { runAction } from '../../support/action-run.ts'
import { ageKeys, type AgeKeys } from './helpers.ts'
import { sandboxS3 } from '../../support/sandbox-s3.ts'

let sandbox: Sandbox
let s3: S3Client
let keys: AgeKeys
const bucket = 'plan-backups'
const service = 'plan_db'
const app = 'plan-app'

/** What a dry run may send to the host: the version and the lists it observes with. */
const READS = new Set(['version', 'postgres:list', 'redis:list', 'apps:list'])

beforeAll(async () => {
  sandbox = await startSandbox()
  s3 = sandboxS3(sandbox)
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  keys = await ageKeys()
  for (const command of [`apps:create ${app}`, `postgres:create ${service}`]) expect((await sandbox.ssh('dokku', command)).code).toBe(0)
}, 180_000)

afterAll(async () => {
  s3?.destroy()
  clearSecretsForTest()
  await sandbox?.stop()
}, 60_000)

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    host: '127.0.0.1',
    'ssh-port': String(sandbox.port),
    'ssh-private-key': sandbox.users.dokku.privateKey,
    'ssh-host-key': sandbox.knownHostsLine,
    's3-endpoint': sandbox.s3.endpoint,
    's3-bucket': bucket,
    's3-access-key-id': sandbox.s3.accessKeyId,
    's3-secret-access-key': sandbox.s3.secretAccessKey,
    'age-recipients': keys.recipient,
    ...extra
  }
}

async function bucketKeys(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (listed.Contents ?? []).map((o) => o.Key as string).sort()
}

/** The commands the host received since `offset`, without Dokku's global flags (`--quiet`). */
function commandsSince(offset: number): string[][] {
  return readArgvLog(sandbox.root).slice(offset).map((record) => record.argv.filter((word) => !word.startsWith('--')))
}

interface BackupRow {
  source: string
  outcome: string
  detail: string
}

describe('backup-run plan', () => {
  it('a dry run observes the host, names the missing service in its plan and fails for it, and writes nothing', async () => {
    const before = await bucketKeys()
    const argvBefore = readArgvLog(sandbox.root).length
    sandbox.s3.clearRequests()

    const result = await runAction(run, inputs({ mode: 'backup', 'dry-run': 'true', sources: `postgres:${service}\npostgres:no_such_db\nconfig:${app}\nconfig:no-such-app` }))

    // Named in the error, the plan printed to the log and the summary's plan table.
    expect(result.error?.message).toMatch(/2 of 4 source\(s\) failed/)
    expect(result.error?.message).toMatch(/postgres:no_such_db: postgres service no_such_db does not exist on the host/)
    expect(result.error?.message).toMatch(/config:no-such-app: App no-such-app does not exist on the host/)
    expect(result.log).toContain('group: Plan for backup-run backup (dry run: nothing will change)')
    expect(result.log).toMatch(/postgres:no_such_db: cannot back up \(\(absent\) → backed up to s3:\/\/plan-backups\/dokku-stack\/postgres\/no_such_db\/\)/)
    expect(result.summary).toContain('backup-run: backup (dry run)')
    expect(result.summary).toMatch(/postgres:no_such_db \| \(absent\) \| backed up to [^|]+ \| cannot back up/)
    const rows = JSON.parse(result.outputs.backups as string) as BackupRow[]
    expect(rows.map((r) => [r.source, r.outcome])).toEqual([
      [`postgres:${service}`, 'would back up'],
      ['postgres:no_such_db', 'would fail'],
      [`config:${app}`, 'would back up'],
      ['config:no-such-app', 'would fail']
    ])
    expect(result.outputs.failed).toBe('2')

    // Nothing written: the bucket as it was, only reads on the wire, only reads on the host.
    expect(await bucketKeys()).toEqual(before)
    const methods = new Set(sandbox.s3.requests().map((r) => r.method))
    expect([...methods].filter((m) => m !== 'GET' && m !== 'HEAD')).toEqual([])
    const commands = commandsSince(argvBefore)
    expect(commands.map((argv) => argv[0])).toEqual(expect.arrayContaining(['version', 'postgres:list', 'apps:list']))
    expect(commands.filter((argv) => !READS.has(argv[0] as string))).toEqual([])
  }, 120_000)

  it('a real run backs up what is there and fails the missing source alone, without sending a command for it', async () => {
    const argvBefore = readArgvLog(sandbox.root).length
    const result = await runAction(run, inputs({ sources: `postgres:no_such_db\nconfig:${app}` }))

    expect(result.error?.message).toMatch(/1 of 2 source\(s\) failed:\npostgres:no_such_db: postgres service no_such_db does not exist on the host/)
    const rows = JSON.parse(result.outputs.backups as string) as BackupRow[]
    expect(rows.map((r) => [r.source, r.outcome])).toEqual([
      ['postgres:no_such_db', 'failed'],
      [`config:${app}`, 'backed up']
    ])
    expect((await bucketKeys()).filter((key) => key.startsWith(`dokku-stack/config/${app}/`))).toHaveLength(2)
    expect(commandsSince(argvBefore).filter((argv) => argv.includes('no_such_db'))).toEqual([])
  }, 120_000)
})
