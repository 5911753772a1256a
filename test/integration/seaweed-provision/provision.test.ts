// seaweed-provision against the shared sandbox host: the SeaweedFS app's container is the stand-in
// of test/sandbox/simulator/seaweed-container.ts (real SigV4, SeaweedFS's identity model and IAM API).
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/seaweed-provision/main.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { createS3Client } from '../../../src/core/s3/client.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { runAction } from '../../support/action-run.js'
import { changingCommands as serviceChanges, config, containerPid, deployTinyApp, dokku, inputsFor, restarts } from '../dokku-service/helpers.ts'

const sandbox = sharedSandbox()
const store = 'sw-store'
const uro = 'sw-uro'
const reports = 'sw-reports'

/** The commands that can change something (ps:scale without counts, logs and the health checks' `enter … wget` only read). */
function changingCommands(log: string): string[] {
  return serviceChanges(log).filter((command) => !/^ps:scale \S+( --format json)?$/.test(command) && !/^(enter \S+ web wget|logs) /.test(command))
}

async function inputs(extra: Record<string, string>): Promise<Record<string, string>> {
  return inputsFor(sandbox, { app: store, endpoint: await sandbox.appUrl(store), ...extra })
}

function s3(endpoint: string, accessKeyId: string, secretAccessKey: string) {
  return createS3Client({ endpoint, region: 'us-east-1', accessKeyId, secretAccessKey })
}

/** Every generated secret the host now holds: none may appear in a log, the summary or an output. */
async function generatedSecrets(): Promise<string[]> {
  const values = [await config(sandbox, store), await config(sandbox, uro)]
  return values.flatMap((v) => [v.AWS_SECRET_ACCESS_KEY, v.DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY]).filter((s): s is string => typeof s === 'string' && s.length > 0)
}

describe('seaweed-provision', () => {
  it('refuses an image older than 4.43 before connecting', async () => {
    const refused = await runAction(run, await inputs({ image: 'chrislusf/seaweedfs:4.40', buckets: 'sw-uploads' }))
    expect(refused.error).toBeInstanceOf(ConfigurationError)
    expect(refused.error?.message).toContain('acknowledged with 200')
    expect(refused.log).not.toContain('running dokku')
  })

  it('provisions the store, a bucket and an app identity; a second run changes nothing; later additions restart only the new app; rotation never leaves a deleted key in use', async () => {
    await deployTinyApp(sandbox, uro)
    const endpoint = await sandbox.appUrl(store)

    const dry = await runAction(run, await inputs({ buckets: 'sw-uploads', access: `${uro} sw-uploads readwrite`, 'dry-run': 'true' }))
    expect(dry.error).toBeUndefined()
    expect(dry.log).toContain(`group: Plan for SeaweedFS app ${store} (dry run: nothing will change)`)
    expect(dry.log).toContain('deploy sw-store from chrislusf/seaweedfs:4.48@sha256:4e61d15fd35994cb1e43e1e553dff106794841fd9a99ade2fc8c8bfce4d7872d (generated wrapper)')
    expect(changingCommands(dry.log)).toEqual([])
    expect((await dokku(sandbox, `apps:exists ${store}`)).code).toBe(20)

    // ---- first run -----------------------------------------------------------------------------
    const before = await restarts(sandbox, uro)
    const first = await runAction(run, await inputs({ buckets: 'sw-uploads', access: `${uro} sw-uploads readwrite` }))
    expect(first.error).toBeUndefined()
    expect(first.outputs).toEqual({ app: store, endpoint, 'internal-endpoint': `http://${store}.web:8333`, identities: uro, changed: 'true', 'self-test': 'passed' })
    expect(changingCommands(first.log)).toEqual([
      `apps:create ${store}`,
      `storage:create ${store}-data --chown heroku`,
      `storage:mount ${store} ${store}-data --container-dir /data`,
      `config:set --encoded --no-restart ${store} AWS_ACCESS_KEY_ID=*** AWS_SECRET_ACCESS_KEY=*** DOKKU_STACK_S3_ENDPOINT=***`,
      `checks:disable ${store}`,
      `ps:scale --skip-deploy ${store} web=1`,
      `ports:set ${store} http:80:8333`,
      `network:create ${store}-net`,
      `network:set ${store} attach-post-create ${store}-net`,
      `git:from-archive ${store} --`,
      `config:set --encoded --no-restart ${store} DOKKU_STACK_SEAWEEDFS_WRAPPER=***`,
      `config:set --encoded --no-restart ${store} DOKKU_STACK_BACKUP_ACCESS_KEY_ID=*** DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY=***`,
      `config:set --encoded --no-restart ${uro} AWS_ACCESS_KEY_ID=*** AWS_SECRET_ACCESS_KEY=*** AWS_S3_BUCKET=*** AWS_S3_ENDPOINT=*** AWS_REGION=***`,
      `network:set ${uro} attach-post-create ${store}-net`,
      `ps:restart ${uro}`
    ])
    expect(await restarts(sandbox, uro)).toBe(before + 1)
    // The endpoint is no secret: masking it would blank the output on the runner.
    expect(first.rawStdout).not.toContain(`::add-mask::${endpoint}`)
    expect(first.summary).toContain(`S3 self-test with ${uro}'s key on sw-uploads`)
    for (const operation of ['PutObject', 'GetObject (range)', 'ListObjectsV2 (delimiter)', 'Multipart upload', 'CopyObject', 'DeleteObjects', 'Presigned GET', 'Denied outside its buckets'])
      expect(first.summary).toMatch(new RegExp(`${operation.replace(/[()]/g, '\\$&')} \\| passed`))

    const uroConfig = await config(sandbox, uro)
    expect(uroConfig).toMatchObject({ AWS_S3_BUCKET: 'sw-uploads', AWS_S3_ENDPOINT: `http://${store}.web:8333`, AWS_REGION: 'us-east-1' })
    expect(uroConfig.AWS_ACCESS_KEY_ID).toMatch(/^AKIA[A-Z0-9]{16}$/)
    const appClient = s3(endpoint, uroConfig.AWS_ACCESS_KEY_ID as string, uroConfig.AWS_SECRET_ACCESS_KEY as string)
    await appClient.send(new PutObjectCommand({ Bucket: 'sw-uploads', Key: 'avatar.png', Body: 'png', ContentLength: 3 }))
    const storeConfig = await config(sandbox, store)
    const backup = s3(endpoint, storeConfig.DOKKU_STACK_BACKUP_ACCESS_KEY_ID as string, storeConfig.DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY as string)
    expect(await (await backup.send(new GetObjectCommand({ Bucket: 'sw-uploads', Key: 'avatar.png' }))).Body?.transformToString()).toBe('png')
    await expect(backup.send(new PutObjectCommand({ Bucket: 'sw-uploads', Key: 'x', Body: 'x', ContentLength: 1 }))).rejects.toMatchObject({ name: 'AccessDenied' })
    const anonymous = await fetch(`${endpoint}/sw-uploads/avatar.png`)
    expect(anonymous.status).toBe(403)

    // ---- second run: nothing -------------------------------------------------------------------------
    const pid = await containerPid(sandbox, uro)
    const storePid = await containerPid(sandbox, store)
    const second = await runAction(run, await inputs({ buckets: 'sw-uploads', access: `${uro} sw-uploads readwrite` }))
    expect(second.error).toBeUndefined()
    expect(second.outputs).toMatchObject({ changed: 'false', 'self-test': 'passed' })
    expect(second.log).toContain('Nothing to do: the store, its buckets and identities are as asked.')
    expect(changingCommands(second.log)).toEqual([])
    expect(await containerPid(sandbox, uro)).toBe(pid)
    expect(await containerPid(sandbox, store)).toBe(storePid)

    // ---- a new bucket and a new app: one restart, of that app only -------------------------------------
    await deployTinyApp(sandbox, reports)
    const reportsBefore = await restarts(sandbox, reports)
    const uroRestarts = await restarts(sandbox, uro)
    const access = `${uro} sw-uploads readwrite\n${reports} sw-archive read`
    const third = await runAction(run, await inputs({ buckets: 'sw-uploads\nsw-archive', access }))
    expect(third.error).toBeUndefined()
    expect(third.outputs).toMatchObject({ changed: 'true', identities: `${uro},${reports}` })
    expect(changingCommands(third.log)).toEqual([
      `config:set --encoded --no-restart ${reports} AWS_ACCESS_KEY_ID=*** AWS_SECRET_ACCESS_KEY=*** AWS_S3_BUCKET=*** AWS_S3_ENDPOINT=*** AWS_REGION=***`,
      `network:set ${reports} attach-post-create ${store}-net`,
      `ps:restart ${reports}`
    ])
    expect(third.log).toContain('group: create bucket sw-archive')
    expect(third.log).toContain('group: give dokku-stack-backup read on sw-uploads, sw-archive')
    expect(await restarts(sandbox, reports)).toBe(reportsBefore + 1)
    expect(await restarts(sandbox, uro)).toBe(uroRestarts)
    const reportsConfig = await config(sandbox, reports)
    const reader = s3(endpoint, reportsConfig.AWS_ACCESS_KEY_ID as string, reportsConfig.AWS_SECRET_ACCESS_KEY as string)
    expect((await reader.send(new ListObjectsV2Command({ Bucket: 'sw-archive' }))).KeyCount).toBe(0)
    await expect(reader.send(new ListObjectsV2Command({ Bucket: 'sw-uploads' }))).rejects.toMatchObject({ name: 'AccessDenied' })

    // ---- rotation -------------------------------------------------------------------------------------
    const oldKey = uroConfig.AWS_ACCESS_KEY_ID as string
    const rotated = await runAction(run, await inputs({ buckets: 'sw-uploads\nsw-archive', access, rotate: uro }))
    expect(rotated.error).toBeUndefined()
    const commands = changingCommands(rotated.log)
    expect(commands).toEqual([`config:set --encoded --no-restart ${uro} AWS_ACCESS_KEY_ID=*** AWS_SECRET_ACCESS_KEY=***`, `ps:restart ${uro}`])
    // The old key is deleted only after the restart that put the new one in use has returned.
    const restartAt = rotated.log.indexOf(`running dokku ps:restart ${uro}`)
    const deleteAt = rotated.log.indexOf(`group: delete key ${oldKey} of app-${uro}`)
    expect(restartAt).toBeGreaterThan(0)
    expect(deleteAt).toBeGreaterThan(restartAt)
    const newConfig = await config(sandbox, uro)
    expect(newConfig.AWS_ACCESS_KEY_ID).not.toBe(oldKey)
    await expect(appClient.send(new GetObjectCommand({ Bucket: 'sw-uploads', Key: 'avatar.png' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' })
    const fresh = s3(endpoint, newConfig.AWS_ACCESS_KEY_ID as string, newConfig.AWS_SECRET_ACCESS_KEY as string)
    expect(await (await fresh.send(new GetObjectCommand({ Bucket: 'sw-uploads', Key: 'avatar.png' }))).Body?.transformToString()).toBe('png')

    // ---- no generated secret in any log, summary or output ----------------------------------------------
    const secrets = await generatedSecrets()
    expect(secrets.length).toBeGreaterThanOrEqual(3)
    for (const runResult of [first, second, third, rotated])
      for (const secret of secrets) {
        expect(runResult.everything).not.toContain(secret)
        expect(Object.values(runResult.outputs).join('\n')).not.toContain(secret)
      }
    for (const client of [appClient, backup, reader, fresh]) client.destroy()
  }, 400_000)

  it('fails with a clear timeout and the container\'s last log lines when the store does not come up', async () => {
    const sick = 'sw-sick'
    const dir = join(sandbox.root, 'storage', `${sick}-data`)
    await mkdir(dir, { recursive: true })
    await chmod(dir, 0o777) // the container runs as the dokku user
    await writeFile(join(dir, '.sandbox-unhealthy'), '', { mode: 0o666 })
    const failed = await runAction(run, inputsFor(sandbox, { app: sick, endpoint: await sandbox.appUrl(sick), buckets: 'sw-sick-b', 'health-timeout': '3s' }))
    expect(failed.error?.message).toContain(`SeaweedFS app ${sick} was deployed but S3 was not healthy within 3 s:`)
    expect(failed.error?.message).toContain(`- S3 did not answer GET ${await sandbox.appUrl(sick)}/healthz with 200 (`)
    expect(failed.error?.message).toContain('- the master answered GET http://127.0.0.1:9333/cluster/healthz inside the container with 200')
    expect(failed.error?.message).toContain(`Last lines of ${sick}'s log:`)
    expect(failed.error?.message).toContain('no writable volumes')
    expect(failed.outputs).toMatchObject({ changed: 'true', 'self-test': 'skipped' })
    expect(failed.log).not.toContain('group: create bucket')

    // Still down on the next run: it fails while observing, with the log lines again.
    const inputs = inputsFor(sandbox, { app: sick, endpoint: await sandbox.appUrl(sick), buckets: 'sw-sick-b', 'health-timeout': '3s' })
    const again = await runAction(run, inputs)
    expect(again.error?.message).toContain(`SeaweedFS app ${sick} is deployed but S3 was not healthy`)
    expect(again.error?.message).toContain('no writable volumes')
    // Once it answers, a run finishes the job.
    await rm(join(dir, '.sandbox-unhealthy'))
    const healed = await runAction(run, inputs)
    expect(healed.error).toBeUndefined()
    expect(healed.log).toContain('group: create bucket sw-sick-b')
    expect((await runAction(run, inputs)).outputs).toMatchObject({ changed: 'false' })
  }, 300_000)

  it('names the master when it is not healthy inside the container, changes nothing and leaves the running container serving', async () => {
    const app = 'sw-master'
    const holder = 'sw-master-app'
    await deployTinyApp(sandbox, holder)
    const endpoint = await sandbox.appUrl(app)
    const inputs = (buckets: string) => inputsFor(sandbox, { app, endpoint, buckets, access: `${holder} sw-master-a readwrite`, 'health-timeout': '3s', 'self-test': 'false' })
    const first = await runAction(run, inputs('sw-master-a'))
    expect(first.error).toBeUndefined()
    // The health wait asked the master and the volume server inside the container, as the image's busybox wget.
    expect(first.log).toContain(`running dokku enter ${app} web wget -O /dev/null -T 5 http://127.0.0.1:9333/cluster/healthz`)
    expect(first.log).toContain(`running dokku enter ${app} web wget -O /dev/null -T 5 http://127.0.0.1:9340/healthz`)
    const key = await config(sandbox, holder)
    const client = s3(endpoint, key.AWS_ACCESS_KEY_ID as string, key.AWS_SECRET_ACCESS_KEY as string)
    await client.send(new PutObjectCommand({ Bucket: 'sw-master-a', Key: 'kept.txt', Body: 'kept', ContentLength: 4 }))
    const pid = await containerPid(sandbox, app)

    const knob = join(sandbox.root, 'storage', `${app}-data`, '.sandbox-unhealthy')
    await writeFile(knob, 'master\n', { mode: 0o666 })
    try {
      const failed = await runAction(run, inputs('sw-master-a\nsw-master-b'))
      const message = failed.error?.message ?? ''
      expect(message).toContain(`SeaweedFS app ${app} is deployed but the master and the volume server were not healthy within 3 s:`)
      expect(message).toContain('- S3 answered GET')
      expect(message).toMatch(/- the master did not answer GET http:\/\/127\.0\.0\.1:9333\/cluster\/healthz inside the container with 200 \(\d+ attempt\(s\); last: wget exit 1: wget: server returned error: HTTP\/1\.1 503 Service Unavailable\)/)
      expect(message).toContain(`Last lines of ${app}'s log:`)
      expect(message).toContain('master: no raft leader elected')
      // It fails while observing, before any plan: nothing was asked to change.
      expect(failed.log).not.toContain('group: Plan for SeaweedFS app')
      expect(changingCommands(failed.log)).toEqual([])
      // The container that was there still runs and serves what it holds.
      expect(await containerPid(sandbox, app)).toBe(pid)
      expect(await (await client.send(new GetObjectCommand({ Bucket: 'sw-master-a', Key: 'kept.txt' }))).Body?.transformToString()).toBe('kept')
    } finally {
      await rm(knob, { force: true })
    }
    const healed = await runAction(run, inputs('sw-master-a\nsw-master-b'))
    expect(healed.error).toBeUndefined()
    expect(healed.log).toContain('group: create bucket sw-master-b')
    client.destroy()
  }, 300_000)

  it('names the volume server when a new store\'s volume server does not come up, and leaves that container running', async () => {
    const app = 'sw-volume'
    const dir = join(sandbox.root, 'storage', `${app}-data`)
    await mkdir(dir, { recursive: true })
    await chmod(dir, 0o777) // the container runs as the dokku user
    await writeFile(join(dir, '.sandbox-unhealthy'), 'volume\n', { mode: 0o666 })
    const endpoint = await sandbox.appUrl(app)
    const inputs = inputsFor(sandbox, { app, endpoint, buckets: 'sw-volume-b', 'health-timeout': '3s' })
    const failed = await runAction(run, inputs)
    const message = failed.error?.message ?? ''
    expect(message).toContain(`SeaweedFS app ${app} was deployed but the volume server was not healthy within 3 s:`)
    expect(message).toContain(`- S3 answered GET ${endpoint}/healthz with 200`)
    expect(message).toContain('- the master answered GET http://127.0.0.1:9333/cluster/healthz inside the container with 200')
    expect(message).toMatch(/- the volume server did not answer GET http:\/\/127\.0\.0\.1:9340\/healthz inside the container with 200 \(\d+ attempt\(s\); last: wget exit 1: wget: server returned error: HTTP\/1\.1 503 Service Unavailable\)/)
    expect(message).toContain('not heartbeating to the master')
    expect(failed.outputs).toMatchObject({ changed: 'true', 'self-test': 'skipped' })
    expect(failed.log).not.toContain('group: create bucket')
    // Nothing stopped it: the container is still up and its S3 port answers.
    expect(await containerPid(sandbox, app)).toBeGreaterThan(0)
    expect((await fetch(`${endpoint}/healthz`)).status).toBe(200)

    await rm(join(dir, '.sandbox-unhealthy'))
    const healed = await runAction(run, inputs)
    expect(healed.error).toBeUndefined()
    expect(healed.log).toContain('group: create bucket sw-volume-b')
  }, 300_000)

  it('fails the job when the self-test finds an operation broken, and says which', async () => {
    const fault = join(sandbox.root, 'storage', `${store}-data`, '.sandbox-fault')
    await writeFile(fault, 'CopyObject\n', { mode: 0o666 })
    try {
      const broken = await runAction(run, await inputs({ buckets: 'sw-uploads\nsw-archive', access: `${uro} sw-uploads readwrite\n${reports} sw-archive read` }))
      expect(broken.error?.message).toContain(`The S3 self-test of ${await sandbox.appUrl(store)} with ${uro}'s key failed: CopyObject.`)
      expect(broken.outputs).toMatchObject({ 'self-test': 'failed', changed: 'false' })
      expect(broken.summary).toMatch(/CopyObject \| failed \| .*sandbox fault injected/)
      expect(broken.summary).toMatch(/PutObject \| passed/)
    } finally {
      await rm(fault, { force: true })
    }
  })
})
