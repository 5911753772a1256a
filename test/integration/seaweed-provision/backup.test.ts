// backup-run's seaweed:<app>/<bucket> source end to end: seaweed-provision creates the store and its
// read-only backup identity; backup-run reads that identity from the host over its own SSH
// connection (the workflow holds no S3 secret for the store) and mirrors the bucket. A store that
// cannot be reached fails its own source only.
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { execute } from '../../../src/actions/backup-run/main.js'
import { readBackupInputs } from '../../../src/actions/backup-run/inputs.js'
import { run } from '../../../src/actions/seaweed-provision/main.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { createS3Client } from '../../../src/core/s3/client.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { runAction } from '../../support/action-run.js'
import { ageKeys, createBucket, directS3, reader, stepInputs, unique } from '../backup-run/helpers.ts'
import { config, deployTinyApp, dokku, inputsFor } from '../dokku-service/helpers.ts'

const sandbox = sharedSandbox()
const store = 'sw-bk-store'
const app = 'sw-bk-app'

describe('backup-run: seaweed: sources', () => {
  it('backs up a SeaweedFS bucket with the backup key it reads from the host, and one unreachable source fails only itself', async () => {
    await deployTinyApp(sandbox, app)
    const endpoint = await sandbox.appUrl(store)
    const provisioned = await runAction(run, inputsFor(sandbox, { app: store, endpoint, buckets: 'sw-bk-data', access: `${app} sw-bk-data readwrite`, 'self-test': 'false' }))
    expect(provisioned.error).toBeUndefined()
    expect(provisioned.outputs['self-test']).toBe('skipped')
    const appConfig = await config(sandbox, app)
    const writer = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: appConfig.AWS_ACCESS_KEY_ID as string, secretAccessKey: appConfig.AWS_SECRET_ACCESS_KEY as string })
    for (const [key, body] of [['avatars/1.png', 'one'], ['avatars/2.png', 'two two']] as const) await writer.send(new PutObjectCommand({ Bucket: 'sw-bk-data', Key: key, Body: body, ContentLength: body.length }))
    writer.destroy()

    const destination = unique('sw-backups')
    await createBucket(destination)
    const keys = await ageKeys()
    const sources = `seaweed:${store}/sw-bk-data\nseaweed:sw-bk-nowhere/sw-bk-other\nconfig:${app}`
    const logger = new RecordingLogger()
    const report = await execute(readBackupInputs(reader(stepInputs(destination, keys, { mode: 'backup', sources }))), logger)
    const bySource = Object.fromEntries(report.results.map((r) => [r.source, r]))
    expect(bySource['bucket:sw-bk-data']).toMatchObject({ outcome: 'backed up' })
    expect(bySource['bucket:sw-bk-data']?.detail).toContain('2 objects')
    expect(bySource['bucket:sw-bk-other']).toMatchObject({ outcome: 'failed', failed: true })
    expect(bySource['bucket:sw-bk-other']?.detail).toContain('sw-bk-nowhere')
    expect(bySource[`config:${app}`]).toMatchObject({ outcome: 'backed up' })
    const s3 = directS3()
    const stored = ((await s3.send(new ListObjectsV2Command({ Bucket: destination, Prefix: 'dokku-stack/bucket/sw-bk-data/' }))).Contents ?? []).map((c) => c.Key ?? '')
    expect(stored.some((k) => k.endsWith('/manifest.json'))).toBe(true)

    // The store stopped: its source fails, the others of the same run still succeed.
    expect((await dokku(sandbox, `ps:stop ${store}`)).code).toBe(0)
    try {
      const down = await execute(readBackupInputs(reader(stepInputs(destination, keys, { mode: 'backup', sources: `seaweed:${store}/sw-bk-data\nconfig:${app}` }))), logger)
      const outcome = Object.fromEntries(down.results.map((r) => [r.source, r.outcome]))
      expect(outcome).toEqual({ 'bucket:sw-bk-data': 'failed', [`config:${app}`]: 'backed up' })
    } finally {
      expect((await dokku(sandbox, `ps:start ${store}`)).code).toBe(0)
    }
    const storeConfig = await config(sandbox, store)
    expect(logger.text()).not.toContain(storeConfig.DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY as string)
    s3.destroy()
  }, 300_000)
})
