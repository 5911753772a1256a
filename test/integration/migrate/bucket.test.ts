// backup-run mode migrate with the uploads going into a bucket (uploads-bucket) instead of a storage
// entry: the kubectl stand-in's tar streams the odd-named tree through the runner into the sandbox's
// real S3 server, one object a file. A 12 MiB file crosses the 8 MiB part size (multipart);
// MIGRATE_LARGE_FILE_BYTES=104857600 runs it with issue 15's 100 MB file.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMigrate } from '../../../src/actions/backup-run/migrate-main.ts'
import { runAction, type ActionRun } from '../../support/action-run.ts'
import { createBucket, directS3, dokku, psql, sandbox, unique } from '../backup-run/helpers.ts'
import { bucketSums, migrateInputs, pendingUploads, podCalls, rewriteAtSameSizeAfterTar, startCluster, treeSums, UPLOADS_POD, type Cluster } from './fixture.ts'

const LARGE_FILE = Number(process.env.MIGRATE_LARGE_FILE_BYTES ?? 12 * 1024 * 1024)
const PREFIX = 'uploads/'
let cluster: Cluster
const app = unique('uro')
const bucket = unique('uro-uploads')
const s3 = directS3()

beforeAll(async () => {
  cluster = await startCluster({ largeFileBytes: LARGE_FILE })
  await createBucket(bucket)
}, 120_000)

afterAll(async () => {
  s3.destroy()
  await psql(sandbox().postgresAdminUrl, `drop database if exists ${cluster.sourceDb}`).catch(() => undefined)
})

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  const box = sandbox()
  return {
    ...migrateInputs(cluster, app),
    'uploads-pod': UPLOADS_POD,
    'uploads-bucket': bucket,
    'uploads-prefix': PREFIX,
    's3-endpoint': box.s3.endpoint,
    's3-access-key-id': box.s3.accessKeyId,
    's3-secret-access-key': box.s3.secretAccessKey,
    ...extra
  }
}

function migrate(values: Record<string, string>): Promise<ActionRun> {
  return runAction(async (reader, _context, logger) => {
    await runMigrate(reader, logger, { progressIntervalMs: 50 })
  }, values)
}

function report(result: ActionRun): { changed: boolean; steps: string[]; uploads?: { outcome: string; detail: string; files: number; bytes: number; copied: number } } {
  return JSON.parse(result.outputs.migration as string)
}

/** Every key under the prefix, from the server itself (url-encoded listing: any byte of a key survives). */
async function keys(): Promise<string[]> {
  const all: string[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX, ContinuationToken: token }))
    for (const item of out.Contents ?? []) all.push(item.Key as string)
    if (!out.IsTruncated) break
    token = out.NextContinuationToken
  }
  return all.sort()
}

describe('backup-run mode migrate, uploads into a bucket', () => {
  it('dry run: plans the copy into the bucket, needs no app or storage, and writes nothing', async () => {
    const result = await migrate(inputs({ 'dry-run': 'true' }))
    expect(result.error).toBeUndefined()
    expect(result.log).toMatch(new RegExp(`copy 49 file\\(s\\), \\d+\\.\\d+ MiB, into bucket s3://${bucket}/uploads/ — 49 object\\(s\\) missing`))
    expect(report(result)).toMatchObject({ changed: false, steps: ['copy-uploads'], uploads: { outcome: 'would copy', files: 49 } })
    expect(await keys()).toEqual([])
    expect((await dokku(`apps:exists ${app}`)).code).not.toBe(0)
    expect(result.everything).not.toContain(sandbox().s3.secretAccessKey)
  }, 120_000)

  it('a copy cut half-way leaves no half object; the rerun converges, byte for byte, without duplicates', async () => {
    // Past the large file or the small ones, whichever tar sends first: some objects are complete, one is cut.
    cluster.fault({ command: 'tar', kind: 'cut', afterBytes: LARGE_FILE + 150_000 })
    sandbox().s3.clearRequests()
    const callsBefore = cluster.calls().length
    const cut = await migrate(inputs())
    expect(cut.error?.message).toMatch(/uploads: failed/)
    // Nothing under the prefix yet: planned from names and sizes, no file of the pod read before the copy.
    expect(podCalls(cluster, callsBefore)).toEqual(['listing', 'tar'])
    // Files whose bytes had all arrived may be stored (how many depends on what was still buffered when tar died).
    const stored = (await keys()).length
    expect(stored).toBeLessThan(49)
    expect(await pendingUploads(bucket, PREFIX)).toEqual([])

    const rerun = await migrate(inputs())
    expect(rerun.error).toBeUndefined()
    const r = report(rerun)
    expect(r.uploads?.outcome).toBe('copied')
    // Only what the cut run did not store is sent again (the next test proves the skip with a fixed count).
    expect(r.uploads?.copied).toBe(49 - stored)
    // SeaweedFS-safe on the wire (both runs: the large file went in parts in one of them): path-style, plain bodies of known length, no checksum headers or trailers.
    const requests = sandbox().s3.requests().filter((q) => q.bucket === bucket)
    const ops = new Set(requests.map((q) => q.operation))
    for (const op of ['ListObjectsV2', 'GetObject', 'PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']) expect(ops).toContain(op)
    for (const q of requests) {
      expect(q.addressing, `${q.operation} ${q.url}`).toBe('path')
      if (q.operation === 'PutObject' || q.operation === 'UploadPart') {
        expect(Object.keys(q.headers).filter((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer'), q.operation).toEqual([])
        expect(q.headers['content-encoding'] ?? '').not.toContain('aws-chunked')
      }
    }
    expect(r.uploads?.detail).toMatch(new RegExp(`all 49 files in bucket s3://${bucket}/uploads/ match the pod's SHA-256 \\(read back\\); 49 object\\(s\\) under the prefix`))
    // Every odd name is a key as it is (spaces, Unicode, leading dashes, a newline, quotes, nested).
    const source = treeSums(cluster.uploadsDir)
    expect(await keys()).toEqual([...source.keys()].map((path) => PREFIX + path).sort())
    expect(await bucketSums(bucket, PREFIX, cluster.uploadsDir)).toEqual(source)
    expect(source.get('empty')).toBe(createHash('sha256').digest('hex'))
    expect(await pendingUploads(bucket, PREFIX)).toEqual([])
    expect(rerun.everything).not.toContain(sandbox().s3.secretAccessKey)

    const again = await migrate(inputs())
    expect(again.error).toBeUndefined()
    expect(report(again)).toMatchObject({ changed: false, steps: [] })
    expect(again.log).toMatch(new RegExp(`bucket s3://${bucket}/uploads/ already holds all 49 files with the same SHA-256`))
  }, 300_000)

  it('copies again an object that differs, and reports a source that changed during the copy', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}avatar 1.png`, Body: 'tampered' }))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}not-from-the-pod.txt`, Body: 'left alone' }))
    cluster.fault({ command: 'tar', kind: 'mutate', shell: `printf late > '${join(cluster.uploadsDir, 'written-during-copy.txt')}'` })
    const result = await migrate(inputs())
    expect(result.log).toContain(`copy 1 file(s), 19.5 KiB, into bucket s3://${bucket}/uploads/ — 0 object(s) missing and 1 different in bucket s3://${bucket}/uploads/; 48 already there`)
    expect(result.log).toContain(`1 object(s) in bucket s3://${bucket}/uploads/ are not in the pod; left in place`)
    const r = report(result)
    expect(r.uploads?.outcome).toBe('source changed')
    expect(r.uploads?.detail).toMatch(/1 file\(s\) added/)
    expect(result.error?.message).toMatch(/source changed/)
    const avatar = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}avatar 1.png` }))
    const bytes = Buffer.from(await (avatar.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())
    expect(bytes.equals(readFileSync(join(cluster.uploadsDir, 'avatar 1.png')))).toBe(true)

    // The writer stopped: the next run copies the new file and ends green, the stranger object untouched.
    const settled = await migrate(inputs())
    expect(settled.error).toBeUndefined()
    expect(report(settled).uploads).toMatchObject({ outcome: 'copied', copied: 1 })
    expect(report(settled).uploads?.detail).toMatch(/all 50 files .* 51 object\(s\) under the prefix, 1 of them not in the pod \(left in place\)/)
    expect(await keys()).toContain(`${PREFIX}not-from-the-pod.txt`)
  }, 300_000)

  it('into an empty prefix, hashes the pod once, after the copy; a file rewritten at the same size meanwhile is reported', async () => {
    const values = inputs({ 'uploads-prefix': 'first/' })
    const callsBefore = cluster.calls().length
    const restore = rewriteAtSameSizeAfterTar(cluster, 'avatar 1.png')
    try {
      const result = await migrate(values)
      expect(podCalls(cluster, callsBefore)).toEqual(['listing', 'tar', 'inventory'])
      expect(report(result).uploads?.outcome).toBe('mismatch')
      expect(report(result).uploads?.detail).toMatch(/"avatar 1\.png" differs .*if the app still writes to \/app\/uploads, stop it and run again/)
      // Objects under the prefix now: the rerun compares checksums on both sides and copies that one file.
      const rerun = await migrate(values)
      expect(rerun.error).toBeUndefined()
      expect(report(rerun).uploads).toMatchObject({ outcome: 'copied', copied: 1 })
      expect(await bucketSums(bucket, 'first/', cluster.uploadsDir)).toEqual(treeSums(cluster.uploadsDir))
    } finally {
      restore()
    }
  }, 300_000)

  it('aborts the multipart uploads a killed run left on the pod\'s keys, and no one else\'s', async () => {
    const orphan = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${PREFIX}large.bin` }))
    const stranger = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${PREFIX}someone-else.bin` }))
    expect((await pendingUploads(bucket, PREFIX)).map((u) => u.uploadId).sort()).toEqual([orphan.UploadId, stranger.UploadId].sort())
    // Something to copy, so that the copy (and its housekeeping) runs.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}empty`, Body: 'not empty' }))
    const twoHoursLater = () => new Date(Date.now() + 2 * 3_600_000)
    const result = await runAction(async (reader, _context, logger) => {
      await runMigrate(reader, logger, { progressIntervalMs: 50, now: twoHoursLater })
    }, inputs())
    expect(result.error).toBeUndefined()
    expect(result.log).toContain(`aborted the multipart upload of ${PREFIX}large.bin left by a run that ended before completing it`)
    expect(await pendingUploads(bucket, PREFIX)).toEqual([{ key: `${PREFIX}someone-else.bin`, uploadId: stranger.UploadId }])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: `${PREFIX}someone-else.bin`, UploadId: stranger.UploadId }))
  }, 180_000)

  it('fails before copying anything when the bucket does not exist', async () => {
    const missing = unique('no-such-bucket')
    const result = await migrate(inputs({ 'uploads-bucket': missing }))
    expect(result.error?.message).toContain(`The uploads bucket "${missing}" at ${sandbox().s3.endpoint} does not exist.`)
    expect(cluster.calls().some((argv) => argv.includes('tar') && argv.includes(missing))).toBe(false)
  }, 120_000)
})

