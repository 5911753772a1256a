// The SSH stream cut in the middle of a multipart backup: no manifest, the multipart upload
// aborted on the server (no orphan parts), the previous backup still the newest. And the wire
// format every backup-run request has: path-style, no x-amz-checksum-* on uploads, Content-MD5 on
// DeleteObjects. The cut is real: a TCP proxy between the action and sshd drops both sockets.
import { spawn } from 'node:child_process'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, UploadPartCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithReport } from '../../../src/actions/backup-run/main.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { repoRoot } from '../../support/actions.ts'
import { ageKeys, createBucket, directS3, dokku, psql, reader, sandbox, stepInputs, unique, type AgeKeys } from './helpers.ts'

const MIB = 1024 * 1024
let keys: AgeKeys
const bucket = unique('cut-backups')
const service = unique('pgcut').replace(/-/g, '_')

/** A TCP proxy to sshd that can cut the connection once `limit` bytes went from the server to the client. */
class CuttableProxy {
  readonly server: Server
  port = 0
  limit = Number.POSITIVE_INFINITY
  cut = false
  private readonly sockets = new Set<Socket>()

  constructor(targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1')
      this.sockets.add(client).add(upstream)
      let down = 0
      client.on('data', (d) => upstream.write(d))
      upstream.on('data', (d: Buffer) => {
        down += d.length
        if (down > this.limit) {
          this.cut = true
          client.destroy()
          upstream.destroy()
          return
        }
        client.write(d)
      })
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('close', end).on('error', end)
      upstream.on('close', end).on('error', end)
    })
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = (this.server.address() as { port: number }).port
      resolve()
    }))
  }

  close(): void {
    for (const s of this.sockets) s.destroy()
    this.server.close()
  }
}

let proxy: CuttableProxy

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  // ~40 MB of hex text: pg_dump's gzip leaves ~20 MB, so the backup spans several 5 MiB parts.
  await psql(
    await sandbox().realPostgresUrl(service),
    `create table big (id int primary key, payload text);
     insert into big select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) from generate_series(1, 400000) g;`
  )
  proxy = new CuttableProxy(sandbox().port)
  await proxy.listen()
})

afterAll(() => proxy?.close())

function inputs(extra: Record<string, string>) {
  return reader(stepInputs(bucket, keys, { 'ssh-port': String(proxy.port), sources: `postgres:${service}`, ...extra }))
}

describe('an interrupted backup', () => {
  it('leaves no manifest and no upload behind, and the previous backup stays the newest', async () => {
    const logger = new RecordingLogger()
    const first = await runWithReport(inputs({ mode: 'backup' }), logger, { upload: { partSize: 5 * MIB } })
    const previousId = first.results[0]?.id as string
    expect(first.results[0]?.outcome).toBe('backed up')

    sandbox().s3.clearRequests()
    proxy.limit = 14 * MIB
    await expect(runWithReport(inputs({ mode: 'backup' }), logger, { upload: { partSize: 5 * MIB } })).rejects.toThrow(/postgres:.*(connection|lost|closed)/i)
    expect(proxy.cut).toBe(true)
    proxy.limit = Number.POSITIVE_INFINITY

    const requests = sandbox().s3.requests().filter((r) => r.bucket === bucket)
    const created = requests.filter((r) => r.operation === 'CreateMultipartUpload')
    expect(created).toHaveLength(1)
    const key = created[0]?.key as string
    expect(key).not.toContain(previousId)
    const parts = requests.filter((r) => r.operation === 'UploadPart' && r.key === key)
    expect(parts.length).toBeGreaterThanOrEqual(1)
    const uploadId = parts[0]?.query.uploadId as string
    const aborted = requests.filter((r) => r.operation === 'AbortMultipartUpload' && r.key === key)
    expect(aborted).toHaveLength(1)
    expect(aborted[0]?.query.uploadId).toBe(uploadId)
    expect(aborted[0]?.status).toBe(204)
    expect(requests.filter((r) => r.operation === 'CompleteMultipartUpload' || (r.operation === 'PutObject' && r.key.endsWith('manifest.json')))).toEqual([])

    // The upload is gone on the server: its id is unknown now.
    const s3 = directS3()
    await expect(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 9, Body: Buffer.from('x') }))).rejects.toMatchObject({ name: 'NoSuchUpload' })

    // list shows the previous backup as the newest complete one.
    const list = await runWithReport(inputs({ mode: 'list' }), logger)
    expect(list.results.filter((r) => r.outcome === 'complete').map((r) => r.id)).toEqual([previousId])

    // fauxqs refuses DeleteBucket while any multipart upload is in progress (s3Store.deleteBucket):
    // emptying the bucket and deleting it proves there is none left.
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects.map((o) => ({ Key: o.Key as string })) } }))
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
    await createBucket(bucket)
    s3.destroy()
  })

  it('aborts the upload in flight when the job is cancelled (SIGINT to the bundle), then exits 130', async () => {
    sandbox().s3.clearRequests()
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: repoRoot }
    for (const [name, value] of Object.entries(stepInputs(bucket, keys, { sources: `postgres:${service}`, mode: 'backup' }))) env[`INPUT_${name.toUpperCase()}`] = value
    const child = spawn(process.execPath, [join(repoRoot, 'dist/backup-run/index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const started = () => sandbox().s3.requests().some((r) => r.bucket === bucket && r.operation === 'CreateMultipartUpload')
    for (let i = 0; i < 600 && !started() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50))
    expect(started()).toBe(true)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stdout).toContain('SIGINT received: aborting the uploads in progress')
    const requests = sandbox().s3.requests().filter((r) => r.bucket === bucket)
    const created = requests.find((r) => r.operation === 'CreateMultipartUpload')
    const aborted = requests.filter((r) => r.operation === 'AbortMultipartUpload')
    expect(aborted.map((r) => r.key)).toEqual([created?.key])
    expect(requests.filter((r) => r.operation === 'CompleteMultipartUpload' || r.key.endsWith('manifest.json'))).toEqual([])
  })

  it('speaks the SeaweedFS-safe wire format: path-style, no checksum headers on uploads, Content-MD5 on DeleteObjects', async () => {
    const logger = new RecordingLogger()
    sandbox().s3.clearRequests()
    for (let i = 0; i < 2; i++) await runWithReport(inputs({ mode: 'backup' }), logger, { upload: { partSize: 5 * MIB } })
    await runWithReport(inputs({ mode: 'prune', 'keep-last': '1' }), logger)
    const requests = sandbox().s3.requests().filter((r) => r.bucket === bucket)
    const ops = new Set(requests.map((r) => r.operation))
    for (const op of ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'ListObjectsV2', 'DeleteObjects']) expect(ops).toContain(op)
    for (const r of requests) {
      expect(r.addressing, `${r.operation} ${r.url}`).toBe('path')
      expect(r.path.startsWith(`/${bucket}`)).toBe(true)
      if (r.operation === 'PutObject' || r.operation === 'UploadPart') {
        expect(Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer'), r.operation).toEqual([])
        expect(r.headers['content-encoding'] ?? '').not.toContain('aws-chunked')
        expect(r.headers['content-length']).toMatch(/^\d+$/)
      }
    }
    const deletes = requests.filter((r) => r.operation === 'DeleteObjects')
    expect(deletes.length).toBeGreaterThan(0)
    for (const d of deletes) {
      expect(d.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(Object.keys(d.headers).filter((h) => h.startsWith('x-amz-checksum-'))).toEqual([])
      expect(d.status).toBe(200)
    }
  })
})
