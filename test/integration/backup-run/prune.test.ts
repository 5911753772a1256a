// prune and list against the real S3 server: only this toolkit's keys under the prefix are
// touched, the newest complete backup stays, dry-run lists and deletes nothing.
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { runWithReport } from '../../../src/actions/backup-run/main.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { ageKeys, createBucket, directS3, dokku, reader, stepInputs, unique, type AgeKeys } from './helpers.ts'

let keys: AgeKeys
const bucket = unique('prune-backups')
const app = unique('pruneapp')
const foreign = ['notes/readme.txt', 'dokku-stack/readme.txt', 'dokku-stack/config/x/not-a-time/file', 'other-prefix/config/x/20200101T000000.000Z/manifest.json']

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`apps:create ${app}`)).code).toBe(0)
  const s3 = directS3()
  for (const Key of foreign) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'not ours' }))
  s3.destroy()
})

const inputs = (extra: Record<string, string>) => reader(stepInputs(bucket, keys, { sources: `config:${app}`, ...extra }))

async function allKeys(): Promise<string[]> {
  const s3 = directS3()
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key as string)
  s3.destroy()
  return keys.sort()
}

describe('prune', () => {
  it('dry-run lists what would go; a real run deletes only that, never foreign keys or the newest backup', async () => {
    const logger = new RecordingLogger()
    const ids: string[] = []
    for (let i = 0; i < 4; i++) ids.push((await runWithReport(inputs({ mode: 'backup' }), logger)).results[0]?.id as string)
    const before = await allKeys()

    const dry = await runWithReport(inputs({ mode: 'prune', 'keep-last': '2', 'dry-run': 'true' }), logger)
    expect(dry.results.filter((r) => r.outcome === 'would prune').map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort())
    expect(await allKeys()).toEqual(before)

    const pruned = await runWithReport(inputs({ mode: 'prune', 'keep-last': '2' }), logger)
    expect(pruned.results.filter((r) => r.outcome === 'pruned').map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort())
    const after = await allKeys()
    for (const key of foreign) expect(after).toContain(key)
    expect(after.filter((k) => k.startsWith(`dokku-stack/config/${app}/`)).map((k) => k.split('/')[3])).toEqual([ids[2], ids[2], ids[3], ids[3]])

    const list = await runWithReport(inputs({ mode: 'list' }), logger)
    expect(list.results.map((r) => [r.id, r.outcome])).toEqual([[ids[3], 'complete'], [ids[2], 'complete']])
  })

  it('dry-run backup writes nothing', async () => {
    const before = await allKeys()
    const report = await runWithReport(inputs({ mode: 'backup', 'dry-run': 'true' }), new RecordingLogger())
    expect(report.results[0]?.outcome).toBe('would back up')
    expect(await allKeys()).toEqual(before)
  })

  it('fails clearly for a service that does not exist', async () => {
    await expect(runWithReport(inputs({ mode: 'backup', sources: 'postgres:no_such_db' }), new RecordingLogger())).rejects.toThrow(/postgres:no_such_db: .*does not exist/)
  })
})
