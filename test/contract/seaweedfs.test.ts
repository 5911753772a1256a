// The contract of the sandbox's SeaweedFS stand-in (test/sandbox/simulator/seaweed-container.ts),
// on its own, without Dokku: each fact it follows, with where it comes from —
// - SigV4 on every request, checked against the AWS SDK's own signer (header and presigned forms);
// - /healthz, /status, /readyz answer without a key (seaweed-caddy-migration.md §1.4);
// - env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY = static identity `admin-<first 8 chars>` with Admin
//   (uro-and-services.md §2.3, auth_credentials.go loadEnvironmentVariableCredentials);
// - no identity at all = authentication off, everything allowed (§1.2 trap 3, auth_credentials.go);
// - identity actions Read/List/Write[:bucket], CreateBucket needs Admin (uro §2.3);
// - the embedded IAM API (§1.3; s3api_embedded_iam.go): CreateUser duplicate → 409
//   EntityAlreadyExists; CreateAccessKey → AKIA + 16, a 40-character secret, 404 NoSuchEntity for an
//   unknown user; DeleteAccessKey of an absent key succeeds; PutUserPolicy replaces the actions and
//   refuses anything but Allow (400 MalformedPolicyDocument); writes need -s3.iam.readOnly=false;
// - identities live under /data/filerldb2 (§1.5) and survive a restart with /data.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { presignGet } from '../../src/actions/seaweed-provision/self-test.js'
import { createS3Client } from '../../src/core/s3/client.js'
import { IamError, SeaweedIam } from '../../src/core/seaweed/iam.js'
import { identityActions, identityPolicy, seaweedCommand } from '../../src/core/seaweed/recipe.js'
import { node24 } from '../sandbox/harness/sandbox.ts'

const SCRIPT = new URL('../sandbox/simulator/seaweed-container.ts', import.meta.url).pathname
const admin = { accessKeyId: 'ADMINKEY0123456789AB', secretAccessKey: 'admin-secret-0123456789-abcdefghijklmnopq' }
const region = 'us-east-1'

let root: string
let data: string
let port: number
let child: ChildProcess | undefined

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function start(env: Record<string, string> = {}, options: { admin?: boolean } = {}): Promise<void> {
  const ready = join(root, 'run', 'sw.ready')
  await rm(ready, { force: true })
  child = spawn(node24(), ['--no-warnings', SCRIPT, root, 'sw', String(port), 'test', '1'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(options.admin === false ? {} : { AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey }),
      DOKKU_SANDBOX_INTERNAL_DATA_DIR: data,
      DOKKU_SANDBOX_INTERNAL_CMD: JSON.stringify(seaweedCommand({ adminUi: false })),
      ...env
    },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50))
  if (!existsSync(ready)) throw new Error('the stand-in did not come up')
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child?.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

const endpoint = () => `http://127.0.0.1:${port}`
const s3 = (key: { accessKeyId: string; secretAccessKey: string }) => createS3Client({ endpoint: endpoint(), region, ...key })

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'seaweed-standin-'))
  data = join(root, 'data')
  await mkdir(join(root, 'run'), { recursive: true })
  await mkdir(data)
  port = await freePort()
  await start()
})

afterAll(async () => {
  await stop()
  await rm(root, { recursive: true, force: true })
})

describe('the SeaweedFS stand-in', () => {
  it('answers /healthz without a key and refuses anonymous and wrongly signed S3 requests', async () => {
    expect((await fetch(`${endpoint()}/healthz`)).status).toBe(200)
    const anonymous = await fetch(`${endpoint()}/`)
    expect(anonymous.status).toBe(403)
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>')
    const wrong = s3({ accessKeyId: admin.accessKeyId, secretAccessKey: 'not-the-secret-0123456789' })
    await expect(wrong.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
    const unknown = s3({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'whatever-0123456789' })
    await expect(unknown.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' })
  })

  it('gives an IAM identity exactly its buckets and actions, live, and keeps it across a restart', async () => {
    const adminS3 = s3(admin)
    for (const bucket of ['sw-one', 'sw-two']) await adminS3.send(new CreateBucketCommand({ Bucket: bucket }))
    const iam = new SeaweedIam(endpoint(), region, admin)
    expect(await iam.createUser('app-uro')).toBe('created')
    expect(await iam.createUser('app-uro')).toBe('exists')
    await iam.putUserPolicy('app-uro', 'dokku-stack', identityPolicy(['sw-one'], 'readwrite'))
    expect(await iam.userActions('app-uro', 'dokku-stack')).toEqual(identityActions(['sw-one'], 'readwrite'))
    const key = await iam.createAccessKey('app-uro')
    expect(key.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/)
    expect(key.secretAccessKey).toHaveLength(40)
    expect(await iam.listAccessKeys('app-uro')).toEqual([key.accessKeyId])

    const app = s3(key)
    await app.send(new PutObjectCommand({ Bucket: 'sw-one', Key: 'a.txt', Body: 'hello', ContentLength: 5 }))
    await expect(app.send(new PutObjectCommand({ Bucket: 'sw-two', Key: 'a.txt', Body: 'no', ContentLength: 2 }))).rejects.toMatchObject({ name: 'AccessDenied' })
    await expect(app.send(new CreateBucketCommand({ Bucket: 'sw-three' }))).rejects.toMatchObject({ name: 'AccessDenied' })
    // Not an admin: the IAM API refuses it.
    await expect(new SeaweedIam(endpoint(), region, key).createUser('x')).rejects.toBeInstanceOf(IamError)

    // Read-only now: writes are refused at once, no restart.
    await iam.putUserPolicy('app-uro', 'dokku-stack', identityPolicy(['sw-one'], 'read'))
    await expect(app.send(new PutObjectCommand({ Bucket: 'sw-one', Key: 'b.txt', Body: 'x', ContentLength: 1 }))).rejects.toMatchObject({ name: 'AccessDenied' })

    await stop()
    await start()
    const again = await (await s3(key).send(new GetObjectCommand({ Bucket: 'sw-one', Key: 'a.txt' }))).Body?.transformToString()
    expect(again).toBe('hello')
    expect(JSON.parse(await readFile(join(data, 'filerldb2', 'iam.json'), 'utf8')).identities.map((i: { name: string }) => i.name)).toEqual(['app-uro'])

    await iam.deleteAccessKey('app-uro', key.accessKeyId)
    await expect(s3(key).send(new GetObjectCommand({ Bucket: 'sw-one', Key: 'a.txt' }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' })
  })

  it('serves a presigned GET and refuses it once tampered with', async () => {
    await s3(admin).send(new CreateBucketCommand({ Bucket: 'sw-presign' }))
    await s3(admin).send(new PutObjectCommand({ Bucket: 'sw-presign', Key: 'dir/p q.txt', Body: 'presigned', ContentLength: 9 }))
    const url = await presignGet(endpoint(), region, admin, 'sw-presign', 'dir/p q.txt')
    const answer = await fetch(url)
    expect(await answer.text()).toBe('presigned')
    expect(answer.status).toBe(200)
    expect((await fetch(url.replace('p%20q', 'p%20r'))).status).toBe(403)
  })

  it('answers IAM errors as SeaweedFS does and names the env admin admin-<first 8 chars>', async () => {
    const iam = new SeaweedIam(endpoint(), region, admin)
    expect(await iam.listUsers()).toContain(`admin-${admin.accessKeyId.slice(0, 8)}`)
    await expect(iam.createAccessKey('nobody')).rejects.toMatchObject({ code: 'NoSuchEntity', status: 404 })
    await iam.createUser('app-errors')
    await expect(iam.putUserPolicy('app-errors', 'p', JSON.stringify({ Statement: [{ Effect: 'Deny', Action: ['s3:Get*'], Resource: ['arn:aws:s3:::x/*'] }] }))).rejects.toMatchObject({
      code: 'MalformedPolicyDocument',
      status: 400
    })
    await expect(iam.deleteAccessKey('app-errors', 'AKIANOTTHERE00000000')).resolves.toBeUndefined()
    expect(await iam.userActions('app-errors', 'p')).toEqual([])
  })

  it('fails the operations named in the fault file', async () => {
    await writeFile(join(data, '.sandbox-fault'), 'PutObject\n')
    await expect(s3(admin).send(new PutObjectCommand({ Bucket: 'sw-two', Key: 'f', Body: 'x', ContentLength: 1 }))).rejects.toMatchObject({ name: 'InternalError' })
    await rm(join(data, '.sandbox-fault'))
  })

  it('allows everything when no identity exists at all (trap 3: why the admin key comes first)', async () => {
    const empty = join(root, 'empty-data')
    await mkdir(empty)
    const saved = data
    data = empty
    await stop()
    await start({}, { admin: false })
    try {
      const anonymous = await fetch(`${endpoint()}/`)
      expect(anonymous.status).toBe(200)
    } finally {
      await stop()
      data = saved
      await start()
    }
  })

  it('refuses IAM writes when the command line leaves the IAM API read-only', async () => {
    await stop()
    await start({ DOKKU_SANDBOX_INTERNAL_CMD: '["mini","-dir=/data"]' })
    await expect(new SeaweedIam(endpoint(), region, admin).createUser('app-x')).rejects.toMatchObject({ code: 'AccessDenied' })
    expect(await new SeaweedIam(endpoint(), region, admin).listUsers()).toContain('app-uro')
  })
})
