// The other sources against the sandbox host: redis (real redis-server, real RDB), app config
// (always encrypted), bucket mirrors (incremental) and cockroach (refused with the alternative).
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { runWithReport } from '../../../src/actions/backup-run/main.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { ageKeys, createBucket, directS3, dokku, exec, reader, sandbox, stepInputs, unique, type AgeKeys } from './helpers.ts'

let keys: AgeKeys
const bucket = unique('src-backups')

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
})

function inputs(extra: Record<string, string>) {
  const box = sandbox()
  return reader(
    stepInputs(bucket, keys, {
      'source-s3-endpoint': box.s3.endpoint,
      'source-s3-access-key-id': box.s3.accessKeyId,
      'source-s3-secret-access-key': box.s3.secretAccessKey,
      ...extra
    })
  )
}

async function redisCli(service: string, ...args: string[]): Promise<string> {
  const url = new URL(await sandbox().realRedisUrl(service))
  const { stdout } = await exec('redis-cli', ['-h', url.hostname, '-p', url.port, '--no-auth-warning', '-a', decodeURIComponent(url.password), ...args])
  return stdout.trim()
}

describe('redis', () => {
  it('backs up the RDB snapshot and restores it into a new service', async () => {
    const service = unique('cache')
    expect((await dokku(`redis:create ${service}`)).code).toBe(0)
    for (let i = 0; i < 50; i++) await redisCli(service, 'SET', `key:${i}`, `value ${i}`)
    await redisCli(service, 'HSET', 'user:1', 'name', 'Ada', 'lang', 'en')
    const logger = new RecordingLogger()
    const backup = await runWithReport(inputs({ mode: 'backup', sources: `redis:${service}` }), logger)
    expect(backup.results[0]).toMatchObject({ outcome: 'backed up', detail: expect.stringContaining('51 keys') })

    const target = `${service}-restored`
    const restored = await runWithReport(inputs({ mode: 'restore', sources: `redis:${service}`, target: `redis:${target}`, 'age-identity': keys.identity }), logger)
    expect(restored.results[0]).toMatchObject({ outcome: 'restored', detail: expect.stringContaining('51 keys') })
    expect(await redisCli(target, 'GET', 'key:42')).toBe('value 42')
    expect(await redisCli(target, 'HGET', 'user:1', 'name')).toBe('Ada')

    // A target holding data is refused.
    await expect(runWithReport(inputs({ mode: 'restore', sources: `redis:${service}`, 'age-identity': keys.identity }), logger)).rejects.toThrow(/already holds data \(51 keys\)/)
  })
})

describe('config', () => {
  it('is always encrypted and round-trips into another app', async () => {
    const app = unique('cfgapp')
    expect((await dokku(`apps:create ${app}`)).code).toBe(0)
    const secret = `s3cr3t-${unique('value')}`
    const b64 = (v: string) => Buffer.from(v).toString('base64')
    expect((await dokku(`config:set --encoded --no-restart ${app} API_TOKEN=${b64(secret)} GREETING=${b64('hello world')} MULTI=${b64('a\nb')}`)).code).toBe(0)
    const logger = new RecordingLogger()
    const backup = await runWithReport(inputs({ mode: 'backup', sources: `config:${app}` }), logger)
    expect(backup.results[0]?.outcome).toBe('backed up')
    expect(backup.results[0]?.detail).toMatch(/^\d+ B stored \(from \d+ B\); 3 keys, encrypted$/)
    expect(backup.results[0]?.key).toMatch(/\.config\.json\.zst\.age$/)

    const s3 = directS3()
    const prefix = `dokku-stack/config/${app}/`
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []
    for (const object of objects) {
      const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))).Body!.transformToByteArray())
      expect(body.includes(Buffer.from(secret)), object.Key).toBe(false)
      expect(body.includes(Buffer.from('API_TOKEN')), object.Key).toBe(false)
    }
    s3.destroy()

    const other = unique('cfgcopy')
    expect((await dokku(`apps:create ${other}`)).code).toBe(0)
    const restored = await runWithReport(inputs({ mode: 'restore', sources: `config:${app}`, target: `config:${other}`, 'age-identity': keys.identity }), logger)
    expect(restored.results[0]).toMatchObject({ outcome: 'restored' })
    expect((await dokku(`config:get ${other} API_TOKEN`)).stdout.trim()).toBe(secret)
    expect((await dokku(`config:get ${other} MULTI`)).stdout).toBe('a\nb\n')
    expect(logger.text()).not.toContain(secret)

    // A conflicting value is refused without overwrite.
    expect((await dokku(`config:set --encoded --no-restart ${other} GREETING=${b64('changed')}`)).code).toBe(0)
    await expect(runWithReport(inputs({ mode: 'restore', sources: `config:${app}`, target: `config:${other}`, 'age-identity': keys.identity }), logger)).rejects.toThrow(/GREETING.*overwrite: true/s)
  })
})

describe('bucket mirror', () => {
  it('copies object by object, copies nothing the second time, and restores into an empty bucket', async () => {
    const source = unique('uploads')
    await createBucket(source)
    const s3 = directS3()
    const objects: Record<string, Buffer> = {}
    for (let i = 0; i < 12; i++) objects[`avatars/${i}.png`] = Buffer.from(`png bytes ${i} `.repeat(100 * (i + 1)))
    objects['maps/big.bin'] = Buffer.alloc(6 * 1024 * 1024, 7)
    for (const [Key, Body] of Object.entries(objects)) await s3.send(new PutObjectCommand({ Bucket: source, Key, Body }))

    const logger = new RecordingLogger()
    const first = await runWithReport(inputs({ mode: 'backup', sources: `bucket:${source}`, concurrency: '3' }), logger)
    expect(first.results[0]?.detail).toContain('13 objects')
    expect(first.results[0]?.detail).toContain('copied 13')

    sandbox().s3.clearRequests()
    const second = await runWithReport(inputs({ mode: 'backup', sources: `bucket:${source}` }), logger)
    expect(second.results[0]?.detail).toContain('copied 0')
    expect(second.results[0]?.detail).toContain('13 already mirrored')
    const reads = sandbox().s3.requests().filter((r) => r.bucket === source && r.operation === 'GetObject')
    expect(reads).toEqual([])

    // One object changes: only it is copied.
    await s3.send(new PutObjectCommand({ Bucket: source, Key: 'avatars/3.png', Body: Buffer.from('new avatar') }))
    objects['avatars/3.png'] = Buffer.from('new avatar')
    const third = await runWithReport(inputs({ mode: 'backup', sources: `bucket:${source}` }), logger)
    expect(third.results[0]?.detail).toContain('copied 1')

    const verified = await runWithReport(inputs({ mode: 'verify', sources: `bucket:${source}` }), logger)
    expect(verified.results[0]?.detail).toContain('13 mirrored objects match')

    const target = unique('uploads-restored')
    await createBucket(target)
    const restored = await runWithReport(inputs({ mode: 'restore', sources: `bucket:${source}`, target: `bucket:${target}`, 'age-identity': keys.identity }), logger)
    expect(restored.results[0]?.detail).toContain('13 objects')
    for (const [Key, Body] of Object.entries(objects)) {
      const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: target, Key }))).Body!.transformToByteArray())
      expect(got.equals(Body), Key).toBe(true)
    }
    // Restoring into a bucket that now holds objects is refused.
    await expect(runWithReport(inputs({ mode: 'restore', sources: `bucket:${source}`, target: `bucket:${target}`, 'age-identity': keys.identity }), logger)).rejects.toThrow(/not empty/)
    s3.destroy()
  })
})

describe('cockroach', () => {
  it('fails with the reason and what to do instead', async () => {
    await expect(runWithReport(inputs({ mode: 'backup', sources: 'cockroach:crdb' }), new RecordingLogger())).rejects.toThrow(
      /cockroach:crdb is not backed up.*Oxide's fork .* without BACKUP.*upstream's image.*postgres:<service>.*cold copy.*crdb-data.*crdb-certs.*logical export/s
    )
  })
})
