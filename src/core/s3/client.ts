import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand
} from '@aws-sdk/client-s3'
import { registerSecret } from '../secrets.js'

/** Where objects go (or come from): any S3-compatible endpoint. Credentials stay in this process. */
export interface S3Settings {
  /** `https://s3.example.com` (path-style is always used); undefined = AWS itself. */
  endpoint: string | undefined
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
}

/**
 * The S3 client every part of the toolkit uses, built for S3-compatible servers (SeaweedFS, MinIO,
 * Ceph, R2) first (DESIGN "S3 clients are SeaweedFS-safe"; docs/seaweedfs.md#s3-caveats):
 * - path-style URLs: virtual-hosted names (`bucket.host`) do not resolve for self-hosted endpoints,
 *   and SDK v3 ignores AWS_S3_FORCE_PATH_STYLE, so it is set here;
 * - checksums only WHEN_REQUIRED: the default CRC32 on every upload sends `aws-chunked` trailers that
 *   SeaweedFS rejected or, worse, stored inside the object (seaweedfs#6548); we keep our own SHA-256;
 * - DeleteObjects gets Content-MD5 instead of the CRC32 the SDK still sends there (the operation
 *   "requires" a checksum, so WHEN_REQUIRED does not remove it; MinIO/ECS answer MissingContentMD5).
 */
export function createS3Client(settings: Omit<S3Settings, 'bucket'>, options: { maxSockets?: number } = {}): S3Client {
  registerSecret(settings.secretAccessKey)
  const client = new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    region: settings.region,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
    requestHandler: {
      connectionTimeout: 15_000,
      // Idle socket time, not the whole transfer: a part upload that stalls this long is retried.
      requestTimeout: 300_000,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 32 }
    }
  })
  // Build step, low priority: runs inside (after) the SDK's flexibleChecksumsMiddleware, which is
  // only on the stack of the commands that use it, so it cannot be named as an anchor here.
  client.middlewareStack.add(contentMd5ForDeleteObjects, { step: 'build', priority: 'low', name: 'dokkuStackContentMd5ForDeleteObjects' })
  return client
}

type BuildRequest = { headers: Record<string, string>; body?: unknown }

/** AWS's documented MD5 fallback (aws-sdk-js-v3 supplemental-docs/MD5_FALLBACK.md), for DeleteObjects only. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const contentMd5ForDeleteObjects = ((next: (args: any) => Promise<unknown>, context: { commandName?: string }) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async (args: any) => {
    const request = args.request as BuildRequest | undefined
    if (context.commandName === 'DeleteObjectsCommand' && request?.headers && (typeof request.body === 'string' || request.body instanceof Uint8Array)) {
      for (const name of Object.keys(request.headers)) {
        const lower = name.toLowerCase()
        if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete request.headers[name]
      }
      request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64')
    }
    return next(args)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  }) as any

export interface ObjectInfo {
  key: string
  size: number
  /** Without the quotes S3 puts around it. */
  etag: string
  lastModified: Date | undefined
}

/** A multipart upload that was created and neither completed nor aborted. */
export interface PendingUpload {
  key: string
  uploadId: string
  initiated: Date | undefined
}

export interface HeadInfo {
  size: number
  etag: string
  metadata: Record<string, string>
}

/**
 * An S3 error with its code, so callers can tell "not there" from "cannot reach". A plain Error
 * (a refused connection: name "Error", message "connect ECONNREFUSED …") has no code: callers then
 * show its message, which says what happened, instead of "Error".
 */
export function s3ErrorCode(error: unknown): string | undefined {
  if (error instanceof S3ServiceException) return error.name
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string' && error.name !== 'Error') return error.name
  return undefined
}

function isNotFound(error: unknown): boolean {
  const code = s3ErrorCode(error)
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
  return code === 'NoSuchKey' || code === 'NotFound' || status === 404
}

const DELETE_BATCH = 1000

/**
 * One bucket on one endpoint: the typed operations the backup code needs, nothing else.
 * Keys are full keys (the caller adds its prefix).
 */
export class ObjectStore {
  readonly client: S3Client
  readonly bucket: string
  readonly endpoint: string

  constructor(settings: S3Settings, options: { maxSockets?: number; client?: S3Client } = {}) {
    this.client = options.client ?? createS3Client(settings, options)
    this.bucket = settings.bucket
    this.endpoint = settings.endpoint ?? 'AWS S3'
  }

  /** Fails with a clear message when the bucket is missing or the credentials are refused. */
  async checkBucket(what: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }))
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      const why =
        status === 404 ? 'does not exist' : status === 403 ? 'refuses these credentials (403)' : `cannot be reached (${s3ErrorCode(error) ?? (error as Error).message})`
      throw new Error(`The ${what} bucket "${this.bucket}" at ${this.endpoint} ${why}.`, { cause: error })
    }
  }

  async put(key: string, body: Buffer | string, options: { contentType?: string; metadata?: Record<string, string> } = {}): Promise<{ etag: string }> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    const result = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        // Known length: a plain body, never aws-chunked framing.
        ContentLength: bytes.length,
        ContentType: options.contentType ?? 'application/octet-stream',
        ...(options.metadata ? { Metadata: options.metadata } : {})
      })
    )
    return { etag: unquote(result.ETag) }
  }

  /** The object's body as a Node stream; undefined when there is no such key. */
  async get(key: string): Promise<{ body: Readable; size: number } | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      return { body: result.Body as Readable, size: result.ContentLength ?? 0 }
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** A small object (a manifest) read whole. */
  async getText(key: string): Promise<string | undefined> {
    const object = await this.get(key)
    if (!object) return undefined
    const chunks: Buffer[] = []
    for await (const chunk of object.body) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }

  async head(key: string): Promise<HeadInfo | undefined> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return { size: result.ContentLength ?? 0, etag: unquote(result.ETag), metadata: result.Metadata ?? {} }
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** Every object under `prefix`, in key order, page by page (ListObjectsV2). */
  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined
    for (let page = 0; page < 1_000_000; page++) {
      const result = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }))
      for (const item of result.Contents ?? []) {
        if (item.Key === undefined) continue
        yield { key: item.Key, size: item.Size ?? 0, etag: unquote(item.ETag), lastModified: item.LastModified }
      }
      if (!result.IsTruncated || !result.NextContinuationToken) return
      token = result.NextContinuationToken
    }
  }

  async listAll(prefix: string): Promise<ObjectInfo[]> {
    const all: ObjectInfo[] = []
    for await (const item of this.list(prefix)) all.push(item)
    return all
  }

  /** DeleteObjects in batches of 1000; any per-key error fails the call, naming the keys. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH)
      const result = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }))
      const errors = result.Errors ?? []
      if (errors.length > 0)
        throw new Error(`Deleting ${errors.length} object(s) from ${this.bucket} failed: ${errors.slice(0, 5).map((e) => `${e.Key ?? '?'} (${e.Code ?? '?'}: ${e.Message ?? ''})`).join(', ')}`)
    }
  }

  async createMultipart(key: string, contentType: string): Promise<string> {
    const result = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))
    if (!result.UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`)
    return result.UploadId
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, abortSignal?: AbortSignal): Promise<string> {
    const result = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
      abortSignal ? { abortSignal } : {}
    )
    if (!result.ETag) throw new Error(`UploadPart ${partNumber} of ${key} returned no ETag`)
    return result.ETag
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly { PartNumber: number; ETag: string }[]): Promise<{ etag: string }> {
    const result = await this.client.send(
      new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [...parts] } })
    )
    return { etag: unquote(result.ETag) }
  }

  /** The multipart uploads in progress under `prefix` (ListMultipartUploads, page by page). */
  async *listMultipartUploads(prefix: string): AsyncGenerator<PendingUpload> {
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (let page = 0; page < 100_000; page++) {
      const result = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}) })
      )
      for (const upload of result.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue
        yield { key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated }
      }
      if (!result.IsTruncated || (!result.NextKeyMarker && !result.NextUploadIdMarker)) return
      keyMarker = result.NextKeyMarker
      uploadIdMarker = result.NextUploadIdMarker
    }
  }

  /** When a part of the upload was last written (ListParts); undefined when it has no part yet. */
  async lastPartWritten(key: string, uploadId: string): Promise<Date | undefined> {
    let newest: Date | undefined
    let marker: string | undefined
    for (let page = 0; page < 100; page++) {
      const result = await this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }))
      for (const part of result.Parts ?? []) if (part.LastModified && (!newest || part.LastModified > newest)) newest = part.LastModified
      if (!result.IsTruncated || !result.NextPartNumberMarker) return newest
      marker = result.NextPartNumberMarker
    }
    return newest
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
  }

  destroy(): void {
    this.client.destroy()
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '').replace(/^&quot;|&quot;$/g, '')
}
