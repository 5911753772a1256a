// The contract of the sandbox's SeaweedFS stand-in (test/sandbox/simulator/seaweed-container.ts),
// on its own, without Dokku: each fact it follows, with where it comes from —
// - SigV4 on every request, checked against the AWS SDK's own signer (header and presigned forms);
// - /healthz, /status, /readyz answer without a key (docs/seaweedfs.md#health);
// - env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY = static identity `admin-<first 8 chars>` with Admin
//   (docs/seaweedfs.md#env-identity, auth_credentials.go loadEnvironmentVariableCredentials);
// - no identity at all = authentication off, everything allowed (docs/seaweedfs.md#auth-off);
// - identity actions Read/List/Write[:bucket], CreateBucket needs Admin (docs/seaweedfs.md#identities);
// - the embedded IAM API (docs/seaweedfs.md#iam-api; s3api_embedded_iam.go): CreateUser duplicate → 409
//   EntityAlreadyExists; CreateAccessKey → AKIA + 16, a 40-character secret, 404 NoSuchEntity for an
//   unknown user; DeleteAccessKey of an absent key succeeds; PutUserPolicy replaces the actions and
//   refuses anything but Allow (400 MalformedPolicyDocument); writes need -s3.iam.readOnly=false;
// - identities live under /data/filerldb2 (docs/seaweedfs.md#data) and survive a restart with /data;
// - the master's /cluster/healthz and the volume server's /healthz on the container's own ports 9333
//   and 9340 (docs/seaweedfs.md#health), as the action's in-container check asks them through the
//   stand-in for the image's busybox wget (docs/seaweedfs.md#wget, #sandbox).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { presignGet } from '../../src/actions/seaweed-provision/self-test.js'
import { createS3Client } from '../../src/core/s3/client.js'
import { IN_CONTAINER_CHECKS, inContainerCheckCommand } from '../../src/core/seaweed/health.js'
import { IamError, SeaweedIam } from '../../src/core/seaweed/iam.js'
import { identityActions, identityPolicy, seaweedCommand } from '../../src/core/seaweed/recipe.js'
import { node24 } from '../sandbox/harness/sandbox.ts'

const SCRIPT = new URL('../sandbox/simulator/seaweed-container.ts', import.meta.url).pathname
const WGET = new URL('../sandbox/simulator/busybox-wget.ts', import.meta.url).pathname
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

/** What `wget …` prints and exits with inside the stand-in's container (the ports its ready file names). */
async function inContainer(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  const { localPorts } = JSON.parse(await readFile(join(root, 'run', 'sw.ready'), 'utf8')) as { localPorts: Record<string, number> }
  const ports = Object.entries(localPorts).map(([inside, host]) => `${inside}=${host}`).join(',')
  return new Promise((resolve) => {
    execFile(node24(), ['--no-warnings', WGET, ...args.slice(1)], { env: { PATH: process.env.PATH ?? '', DOKKU_SANDBOX_INTERNAL_LOCAL_PORTS: ports } }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr })
    )
  })
}

function check(component: 'master' | 'volume'): string[] {
  const found = IN_CONTAINER_CHECKS.find((c) => c.component === component)
  if (!found) throw new Error(`no ${component} check`)
  return inContainerCheckCommand(found)
}
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

  it('answers the master\'s and the volume server\'s health inside the container, and names what is down', async () => {
    expect(check('master')).toEqual(['wget', '-O', '/dev/null', '-T', '5', 'http://127.0.0.1:9333/cluster/healthz'])
    expect(check('volume')).toEqual(['wget', '-O', '/dev/null', '-T', '5', 'http://127.0.0.1:9340/healthz'])
    expect(await inContainer(check('master'))).toMatchObject({ code: 0 })
    expect(await inContainer(check('volume'))).toMatchObject({ code: 0 })
    const knob = join(data, '.sandbox-unhealthy')
    try {
      // No leader: the master's readiness fails, and so does the volume server that heartbeats to it.
      await writeFile(knob, 'master\n')
      const master = await inContainer(check('master'))
      expect(master.code).toBe(1)
      expect(master.stderr).toContain('wget: server returned error: HTTP/1.1 503 Service Unavailable')
      expect((await inContainer(check('volume'))).code).toBe(1)
      expect((await inContainer(['wget', '-O', '/dev/null', 'http://127.0.0.1:9333/healthz'])).code).toBe(0)
      expect(await fetch(`${endpoint()}/healthz`).then((r) => r.status)).toBe(200)
      // Only the volume server.
      await writeFile(knob, 'volume\n')
      expect((await inContainer(check('master'))).code).toBe(0)
      expect((await inContainer(check('volume'))).code).toBe(1)
    } finally {
      await rm(knob, { force: true })
    }
    expect((await inContainer(check('volume'))).code).toBe(0)
    // A container port with nothing behind it, and an option busybox's wget does not have.
    expect(await inContainer(['wget', '-O', '/dev/null', 'http://127.0.0.1:7333/'])).toMatchObject({ code: 1, stderr: expect.stringContaining("can't connect to remote host (127.0.0.1): Connection refused") })
    expect(await inContainer(['wget', '--spider-everything', 'http://127.0.0.1:9333/'])).toMatchObject({ code: 1 })
  })

  it('refuses IAM writes when the command line leaves the IAM API read-only', async () => {
    await stop()
    await start({ DOKKU_SANDBOX_INTERNAL_CMD: '["mini","-dir=/data"]' })
    await expect(new SeaweedIam(endpoint(), region, admin).createUser('app-x')).rejects.toMatchObject({ code: 'AccessDenied' })
    expect(await new SeaweedIam(endpoint(), region, admin).listUsers()).toContain('app-uro')
  })
})
