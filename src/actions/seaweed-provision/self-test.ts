// The S3 compatibility self-test: after applying, the endpoint is exercised with an app's own key,
// through the same SeaweedFS-safe client the toolkit uses everywhere, on the operations apps and
// backups depend on (docs/seaweedfs.md#s3-caveats: checksums, aws-chunked, listing). Objects go under
// a prefix of their own and are removed afterwards.
import { randomBytes } from 'node:crypto'
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client
} from '@aws-sdk/client-s3'
import { SignatureV4 } from '@smithy/signature-v4'
import { errorMessage } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { createS3Client, ObjectStore, s3ErrorCode } from '../../core/s3/client.js'
import { NodeSha256, type AccessKey } from '../../core/seaweed/iam.js'
import type { AccessGrant } from './inputs.js'

export interface SelfTestRow {
  operation: string
  outcome: 'passed' | 'failed' | 'skipped'
  detail: string
}

export interface SelfTestReport {
  app: string
  bucket: string
  rows: SelfTestRow[]
  /** The required operations that failed. */
  failed: string[]
}

const PART = 5 * 1024 * 1024

export async function runSelfTest(options: { endpoint: string; region: string; key: AccessKey; grant: AccessGrant; allBuckets: readonly string[]; logger: Logger }): Promise<SelfTestReport> {
  const { endpoint, region, key, grant, logger } = options
  const bucket = grant.buckets[0] as string
  const writable = grant.access === 'readwrite'
  const client = createS3Client({ endpoint, region, ...key })
  const store = new ObjectStore({ endpoint, region, bucket, ...key }, { client })
  const prefix = `.dokku-stack-self-test/${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`
  const rows: SelfTestRow[] = []
  const body = `dokku-stack self-test ${randomBytes(8).toString('hex')}\n`
  const test = async (operation: string, needsWrite: boolean, fn: () => Promise<string>): Promise<void> => {
    if (needsWrite && !writable) {
      rows.push({ operation, outcome: 'skipped', detail: `${grant.app}'s key is read-only` })
      return
    }
    try {
      rows.push({ operation, outcome: 'passed', detail: await fn() })
    } catch (error) {
      rows.push({ operation, outcome: 'failed', detail: errorMessage(error).split('\n')[0] ?? '' })
    }
  }
  const written: string[] = []
  try {
    await test('PutObject', true, async () => {
      for (const name of ['a.txt', 'dir/b.txt']) {
        await store.put(prefix + name, body, { contentType: 'text/plain' })
        written.push(prefix + name)
      }
      return `${Buffer.byteLength(body)} bytes, twice`
    })
    const readable = writable ? `${prefix}a.txt` : undefined
    await test('GetObject', true, async () => {
      const text = await store.getText(readable as string)
      if (text !== body) throw new Error(`read back ${text === undefined ? 'nothing' : `${Buffer.byteLength(text)} different bytes`}`)
      return 'content matches'
    })
    await test('HeadObject', true, async () => {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: readable }))
      if (head.ContentLength !== Buffer.byteLength(body)) throw new Error(`size ${head.ContentLength}, expected ${Buffer.byteLength(body)}`)
      return `size ${head.ContentLength}`
    })
    await test('GetObject (range)', true, async () => {
      const part = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: readable, Range: 'bytes=2-9' }))).Body?.transformToString()
      if (part !== body.slice(2, 10)) throw new Error(`got ${JSON.stringify(part)}`)
      return 'bytes=2-9 match'
    })
    await test('ListObjectsV2', false, async () => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      const keys = (listed.Contents ?? []).map((c) => c.Key)
      if (writable && !(keys.includes(`${prefix}a.txt`) && keys.includes(`${prefix}dir/b.txt`))) throw new Error(`listed ${keys.length} key(s), expected both test objects (a recursive listing: SeaweedFS once listed nothing without a delimiter after an upgrade, seaweedfs#8346)`)
      return `${keys.length} key(s), recursive`
    })
    await test('ListObjectsV2 (delimiter)', false, async () => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/' }))
      const prefixes = (listed.CommonPrefixes ?? []).map((p) => p.Prefix)
      const keys = (listed.Contents ?? []).map((c) => c.Key)
      if (writable && !(prefixes.includes(`${prefix}dir/`) && keys.includes(`${prefix}a.txt`) && !keys.includes(`${prefix}dir/b.txt`)))
        throw new Error(`got keys ${JSON.stringify(keys)} and prefixes ${JSON.stringify(prefixes)}`)
      return `${keys.length} key(s), ${prefixes.length} common prefix(es)`
    })
    await test('Multipart upload', true, async () => {
      const name = `${prefix}multipart.bin`
      const upload = await store.createMultipart(name, 'application/octet-stream')
      try {
        const parts = [Buffer.alloc(PART, 1), Buffer.from('tail')]
        const etags = []
        for (const [i, part] of parts.entries()) etags.push({ PartNumber: i + 1, ETag: await store.uploadPart(name, upload, i + 1, part) })
        await store.completeMultipart(name, upload, etags)
      } catch (error) {
        await store.abortMultipart(name, upload).catch(() => undefined)
        throw error
      }
      written.push(name)
      const head = await store.head(name)
      if (head?.size !== PART + 4) throw new Error(`size ${head?.size ?? 'none'}, expected ${PART + 4}`)
      return `2 parts, ${PART + 4} bytes`
    })
    await test('CopyObject', true, async () => {
      const target = `${prefix}copy.txt`
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${encodeURIComponent(`${prefix}a.txt`).replace(/%2F/g, '/')}` }))
      written.push(target)
      if ((await store.getText(target)) !== body) throw new Error('the copy differs')
      return 'copy matches'
    })
    await test('Presigned GET', true, async () => {
      const url = await presignGet(endpoint, region, key, bucket, `${prefix}a.txt`)
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000) })
      const text = await response.text()
      if (response.status !== 200 || text !== body) throw new Error(`status ${response.status}`)
      return 'status 200, content matches'
    })
    await test('Denied outside its buckets', false, async () => {
      const other = options.allBuckets.find((b) => !grant.buckets.includes(b)) ?? `dokku-stack-denied-${randomBytes(4).toString('hex')}`
      try {
        await client.send(new ListObjectsV2Command({ Bucket: other, MaxKeys: 1 }))
      } catch (error) {
        if (s3ErrorCode(error) === 'AccessDenied') return `ListObjectsV2 on ${other}: AccessDenied`
        throw new Error(`ListObjectsV2 on ${other} failed with ${s3ErrorCode(error) ?? errorMessage(error)}, not AccessDenied`, { cause: error })
      }
      throw new Error(`ListObjectsV2 on ${other} was allowed: the key reaches beyond ${grant.buckets.join(', ')}`)
    })
    await test('DeleteObjects', true, async () => {
      await deleteAll(client, bucket, written)
      const left = await store.listAll(prefix)
      if (left.length > 0) throw new Error(`${left.length} object(s) left`)
      written.length = 0
      return 'all test objects removed (Content-MD5)'
    })
  } finally {
    if (written.length > 0) await deleteAll(client, bucket, written).catch((error: unknown) => logger.warning(`Could not remove the self-test objects under ${prefix}: ${errorMessage(error)}`))
    client.destroy()
  }
  for (const row of rows) logger.info(`self-test ${row.operation}: ${row.outcome} (${row.detail})`)
  return { app: grant.app, bucket, rows, failed: rows.filter((r) => r.outcome === 'failed').map((r) => r.operation) }
}

async function deleteAll(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  const result = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }))
  if ((result.Errors ?? []).length > 0) throw new Error(`${result.Errors?.length} key(s) not deleted: ${result.Errors?.[0]?.Code ?? ''}`)
}

/**
 * A presigned GET, as a browser or a CDN would fetch it: query-string SigV4 over UNSIGNED-PAYLOAD
 * (servers assume it for query authentication; the header is hoisted into the query as AWS's own
 * S3 presigner does).
 */
export async function presignGet(endpoint: string, region: string, key: AccessKey, bucket: string, objectKey: string): Promise<string> {
  const url = new URL(endpoint)
  const path = `/${bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`
  const signer = new SignatureV4({ service: 's3', region, credentials: key, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false })
  const signed = await signer.presign(
    { method: 'GET', protocol: url.protocol, hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    { expiresIn: 300 }
  )
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')
  return `${url.origin}${path}?${query}`
}
