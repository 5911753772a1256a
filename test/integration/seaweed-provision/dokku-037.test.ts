// seaweed-provision on a Dokku 0.37.5 host of its own: /data on a storage directory mounted with the
// legacy host:container form (named storage arrived in 0.38), then a second run that changes nothing.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/seaweed-provision/main.js'
import { createS3Client } from '../../../src/core/s3/client.js'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { runAction } from '../../support/action-run.js'
import { changingCommands, config, deployTinyApp, dokku, inputsFor } from '../dokku-service/helpers.ts'

let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await startSandbox({ dokkuVersion: '0.37.5', plugins: [] })
}, 120_000)
afterAll(async () => {
  await sandbox?.stop()
}, 60_000)

describe('seaweed-provision on Dokku 0.37.5', () => {
  it('keeps /data in a storage directory owned by uid 1000 and converges', async () => {
    await deployTinyApp(sandbox, 'web')
    const endpoint = await sandbox.appUrl('seaweedfs')
    const inputs = inputsFor(sandbox, { endpoint, buckets: 'media', access: 'web media readwrite' })
    const first = await runAction(run, inputs)
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ app: 'seaweedfs', changed: 'true', 'self-test': 'passed' })
    const commands = changingCommands(first.log)
    expect(commands).toContain('storage:ensure-directory --chown heroku seaweedfs-data')
    expect(commands).toContain('storage:mount seaweedfs /var/lib/dokku/data/storage/seaweedfs-data:/data')
    const mounts = (await dokku(sandbox, 'storage:report seaweedfs --storage-deploy-mounts')).stdout.trim()
    expect(mounts).toBe('-v /var/lib/dokku/data/storage/seaweedfs-data:/data')

    const web = await config(sandbox, 'web')
    const client = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: web.AWS_ACCESS_KEY_ID as string, secretAccessKey: web.AWS_SECRET_ACCESS_KEY as string })
    await client.send(new PutObjectCommand({ Bucket: 'media', Key: 'kept.txt', Body: 'kept', ContentLength: 4 }))
    // A new container on the same /data: the identity and the object are still there.
    expect((await dokku(sandbox, 'ps:restart seaweedfs')).code).toBe(0)
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'media', Key: 'kept.txt' }))).Body?.transformToString()).toBe('kept')
    client.destroy()

    const second = await runAction(run, inputs)
    expect(second.error).toBeUndefined()
    expect(second.outputs).toMatchObject({ changed: 'false' })
    expect(changingCommands(second.log).filter((c) => !/^ps:scale \S+$/.test(c) && !/^enter seaweedfs web wget /.test(c))).toEqual([])
  }, 300_000)
})
