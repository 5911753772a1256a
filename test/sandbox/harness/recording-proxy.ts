// A small HTTP proxy in front of the sandbox's S3 server that records what arrives on the
// wire — method, request target, query, headers, the response status — so tests can prove the
// SeaweedFS-safe format (path-style URLs, no x-amz-checksum-* on PutObject/UploadPart,
// Content-MD5 on DeleteObjects). Bodies stream through in both directions, never buffered.
// One JSON line per request goes to a log file, written synchronously before the response
// reaches the client: when a client call returns, its request is already in the log, and
// any process (a vitest worker, say) can read the log.
import { appendFileSync, readFileSync } from 'node:fs'
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http'

export type S3Addressing = 'path' | 'virtual-hosted'

export interface RecordedRequest {
  /** Arrival order, from 1. */
  seq: number
  /** Epoch milliseconds at arrival. */
  at: number
  method: string
  /** The request target exactly as sent (`/bucket/key?uploadId=…&partNumber=1`). */
  url: string
  /** The path part of `url`, still percent-encoded. */
  path: string
  /** Decoded query parameters; a parameter without value (`?uploads`) is `''`. */
  query: Record<string, string>
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** The upstream's status, 502 if the upstream failed, null if the client went away first. */
  status: number | null
  /** `virtual-hosted` when the bucket was taken from the Host header (`bucket.host:port`). */
  addressing: S3Addressing
  /** Bucket and key as the S3 server understands them ('' when absent). */
  bucket: string
  key: string
  /** The S3 operation the request is (PutObject, UploadPart, DeleteObjects, …), or 'Unknown'. */
  operation: string
  error?: string
}

export interface RecordingProxyOptions {
  upstream: { host: string; port: number }
  logPath: string
  /** Default 127.0.0.1. */
  listenHost?: string
  /** Default 0 (any free port). */
  port?: number
  /** Answers a request here instead of passing it on (still recorded): operations the upstream lacks. */
  answer?: (request: Pick<RecordedRequest, 'method' | 'operation' | 'bucket' | 'key' | 'query'>) => { status: number; headers: Record<string, string>; body: string } | undefined
}

export interface RecordingProxy {
  port: number
  server: Server
  close(): Promise<void>
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade'])

export function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let seq = 0

  const handle = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void => {
    const base = describeS3Request(req.method ?? 'GET', req.url ?? '/', req.headers)
    const record: RecordedRequest = { seq: ++seq, at: Date.now(), ...base, status: null }
    let written = false
    const write = (status: number | null, error?: string): void => {
      if (written) return
      written = true
      record.status = status
      if (error !== undefined) record.error = error
      appendFileSync(options.logPath, `${JSON.stringify(record)}\n`)
    }
    const local = options.answer?.(base)
    if (local) {
      req.resume()
      write(local.status)
      res.writeHead(local.status, { ...local.headers, 'content-length': String(Buffer.byteLength(local.body)) })
      res.end(local.body)
      return
    }

    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue
      if (name === 'expect' && !expectContinue) continue
      headers[name] = value
    }
    const upstream = httpRequest({
      host: options.upstream.host,
      port: options.upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent
    })
    if (expectContinue) upstream.on('continue', () => res.writeContinue())
    upstream.on('response', (upstreamRes) => {
      write(upstreamRes.statusCode ?? null)
      const responseHeaders: OutgoingHttpHeaders = {}
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || name === 'transfer-encoding') continue
        responseHeaders[name] = value
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders)
      upstreamRes.pipe(res)
      upstreamRes.on('error', () => res.destroy())
    })
    upstream.on('error', (error) => {
      write(res.headersSent ? record.status : 502, error.message)
      if (res.headersSent) {
        res.destroy()
        return
      }
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`sandbox recording proxy: upstream failed: ${error.message}\n`)
    })
    req.on('error', () => upstream.destroy())
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy()
        write(record.status, 'client closed the connection before the response ended')
      }
    })
    req.pipe(upstream)
  }

  const server = createServer({ keepAlive: true })
  server.on('request', (req, res) => handle(req, res, false))
  // Without this listener Node answers "100 Continue" itself; with it, the upstream decides.
  server.on('checkContinue', (req, res) => handle(req, res, true))
  server.on('clientError', (_error, socket) => socket.destroy())

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.listenHost ?? '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      resolve({
        port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
            agent.destroy()
          })
      })
    })
  })
}

/** Reads the recorded requests from a log, from byte `offset` on, in arrival order. */
export function readRecordedRequests(logPath: string, offset = 0): RecordedRequest[] {
  let text: string
  try {
    text = readFileSync(logPath).subarray(offset).toString('utf8')
  } catch {
    return []
  }
  const records: RecordedRequest[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      records.push(JSON.parse(line) as RecordedRequest)
    } catch {
      // a line still being written
    }
  }
  return records.sort((a, b) => a.seq - b.seq)
}

function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    result[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return result
}

/** Classifies a request the way an S3 server routes it. Exported for tests. */
export function describeS3Request(method: string, url: string, headers: IncomingHttpHeaders): Pick<RecordedRequest, 'method' | 'url' | 'path' | 'query' | 'headers' | 'addressing' | 'bucket' | 'key' | 'operation'> {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const query: Record<string, string> = {}
  if (queryStart !== -1) {
    for (const [name, value] of new URLSearchParams(url.slice(queryStart + 1))) query[name] = value
  }
  const hostname = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.includes(':')
  const virtual = hostname.includes('.') && !isIp
  const segments = path.replace(/^\//, '')
  let bucket: string
  let key: string
  if (virtual) {
    bucket = hostname.slice(0, hostname.indexOf('.'))
    key = safeDecode(segments)
  } else {
    const slash = segments.indexOf('/')
    bucket = safeDecode(slash === -1 ? segments : segments.slice(0, slash))
    key = slash === -1 ? '' : safeDecode(segments.slice(slash + 1))
  }
  return {
    method,
    url,
    path,
    query,
    headers: headerRecord(headers),
    addressing: virtual ? 'virtual-hosted' : 'path',
    bucket,
    key,
    operation: s3Operation(method.toUpperCase(), bucket, key, query, headers)
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function s3Operation(method: string, bucket: string, key: string, query: Record<string, string>, headers: IncomingHttpHeaders): string {
  const has = (name: string): boolean => Object.hasOwn(query, name)
  const copy = headers['x-amz-copy-source'] !== undefined
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : 'Unknown'
  if (key === '') {
    // bucket-level sub-resources (?versioning, ?lifecycle, …) are named after the resource
    const sub = ['versioning', 'lifecycle', 'policy', 'cors', 'tagging', 'acl', 'location', 'encryption', 'notification'].find(has)
    const title = sub ? sub.charAt(0).toUpperCase() + sub.slice(1) : ''
    switch (method) {
      case 'PUT':
        return sub ? `PutBucket${title}` : 'CreateBucket'
      case 'DELETE':
        return sub ? `DeleteBucket${title}` : 'DeleteBucket'
      case 'HEAD':
        return 'HeadBucket'
      case 'POST':
        return has('delete') ? 'DeleteObjects' : 'Unknown'
      case 'GET':
        if (sub) return sub === 'location' ? 'GetBucketLocation' : `GetBucket${title}`
        if (has('uploads')) return 'ListMultipartUploads'
        if (has('versions')) return 'ListObjectVersions'
        return query['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects'
      default:
        return 'Unknown'
    }
  }
  switch (method) {
    case 'PUT':
      if (has('uploadId') && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart'
      if (has('tagging')) return 'PutObjectTagging'
      if (has('acl')) return 'PutObjectAcl'
      return copy ? 'CopyObject' : 'PutObject'
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload'
      if (has('uploadId')) return 'CompleteMultipartUpload'
      return 'Unknown'
    case 'DELETE':
      if (has('uploadId')) return 'AbortMultipartUpload'
      if (has('tagging')) return 'DeleteObjectTagging'
      return 'DeleteObject'
    case 'GET':
      if (has('uploadId')) return 'ListParts'
      if (has('tagging')) return 'GetObjectTagging'
      if (has('attributes')) return 'GetObjectAttributes'
      return 'GetObject'
    case 'HEAD':
      return 'HeadObject'
    default:
      return 'Unknown'
  }
}
