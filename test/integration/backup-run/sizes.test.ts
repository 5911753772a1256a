// One backup, every mode: backup, restore, verify, prune and list report the same sizes for it
// (they used to differ: some counted the data object, others the data and the manifest).
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { beforeAll, expect, it } from 'vitest'
import { runWithReport } from '../../../src/actions/backup-run/main.ts'
import type { TaskResult } from '../../../src/actions/backup-run/runtime.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { ageKeys, createBucket, directS3, dokku, reader, stepInputs, unique, type AgeKeys } from './helpers.ts'

let keys: AgeKeys
const bucket = unique('sizes')
const app = unique('sizes-app')

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`apps:create ${app}`)).code).toBe(0)
  expect((await dokku(`config:set --no-restart ${app} GREETING=hello MODE=sizes`)).code).toBe(0)
})

async function run(extra: Record<string, string>): Promise<TaskResult[]> {
  return (await runWithReport(reader(stepInputs(bucket, keys, { sources: `config:${app}`, 'age-identity': keys.identity, ...extra })), new RecordingLogger())).results
}

it('reports the same stored and plaintext sizes for one backup in every mode, without the manifest', async () => {
  const [backedUp] = await run({ mode: 'backup' })
  expect(backedUp?.outcome).toBe('backed up')
  const id = backedUp?.id as string
  const rows = {
    backup: backedUp,
    restore: (await run({ mode: 'restore', target: `config:${app}` })).find((r) => r.id === id),
    verify: (await run({ mode: 'verify' })).find((r) => r.id === id),
    prune: (await run({ mode: 'prune', 'keep-last': '5' })).find((r) => r.id === id),
    list: (await run({ mode: 'list' })).find((r) => r.id === id)
  }
  const s3 = directS3()
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `dokku-stack/config/${app}/${id}/` }))
  s3.destroy()
  const data = (listed.Contents ?? []).filter((o) => !o.Key?.endsWith('/manifest.json'))
  expect(data).toHaveLength(1)
  const stored = data[0]?.Size as number
  for (const [mode, row] of Object.entries(rows)) {
    expect(row?.failed, `${mode}: ${row?.detail}`).toBeFalsy()
    expect(row?.storedBytes, mode).toBe(stored)
  }
  // The plaintext size comes from the manifest: every mode that reads it says the same.
  const plaintext = backedUp?.plaintextBytes as number
  expect(plaintext).toBeGreaterThan(0)
  for (const mode of ['restore', 'verify'] as const) expect(rows[mode]?.plaintextBytes, mode).toBe(plaintext)
})
