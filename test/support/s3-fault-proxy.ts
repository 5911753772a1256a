// A fault-injecting HTTP proxy in front of the sandbox's S3 server, on 127.0.0.1: per S3 operation
// (and optionally per key or part number) it answers 500 or 503 (with or without Retry-After), holds
// a request for a bounded time before passing it on, or closes the socket half-way through the
// request body (a connection lost mid-part). Everything else passes through untouched, to the
// recording proxy (so the sandbox's request log still shows what reached the server).
//
//   const proxy = await S3FaultProxy.start(sandbox.s3.endpointIp)
//   proxy.inject({ operation: 'UploadPart', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, times: 2 })
//   … run against proxy.endpoint …
//   proxy.seen            // every request, with the fault it got
//   await proxy.close()
import { EventEmitter } from 'node:events'
import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { describeS3Request } from '../sandbox/harness/recording-proxy.ts'

/** The longest a `delay` fault may hold a request: the proxy is bounded whatever a test asks. */
export const MAX_DELAY_MS = 15_000

export type Fault =
  | { kind: 'status'; status: 500 | 503; retryAfterSeconds?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'cut-mid-body' }

export interface FaultRule {
  operation: string
  fault: Fault
  /** How many matching requests get the fault; default every one. */
  times?: number
  /** Narrows the rule (a key, a part number). */
  match?: (request: SeenRequest) => boolean
}

export interface SeenRequest {
  seq: number
  operation: string
  bucket: string
  key: string
  query: Record<string, string>
  /** The fault applied ('status 503', 'delay 2000 ms', 'cut-mid-body'), or undefined when passed through. */
  fault: string | undefined
  /** The status the client got; null when the socket was cut or it went away first. */
  status: number | null
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect'])

const ERROR_CODES: Record<number, [string, string]> = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.']
}

export class S3FaultProxy extends EventEmitter {
  readonly seen: SeenRequest[] = []
  private rules: { rule: FaultRule; left: number }[] = []
  private readonly server: Server
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 })
  private readonly upstream: URL
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private seq = 0
  port = 0

  private constructor(upstream: string) {
    super()
    this.upstream = new URL(upstream)
    this.server = createServer({ keepAlive: true }, (req, res) => this.handle(req, res))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    this.server.on('clientError', (_error, socket) => socket.destroy())
  }

  /** Starts a proxy to `upstream` (an `http://127.0.0.1:PORT` S3 endpoint) on a free loopback port. */
  static async start(upstream: string): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(upstream)
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject)
      proxy.server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = proxy.server.address()
    proxy.port = typeof address === 'object' && address !== null ? address.port : 0
    return proxy
  }

  /** `http://127.0.0.1:PORT`: an IP, so every S3 client uses path-style. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  inject(rule: FaultRule): void {
    if (rule.fault.kind === 'delay' && (rule.fault.ms < 0 || rule.fault.ms > MAX_DELAY_MS)) throw new Error(`delay ${rule.fault.ms} ms is outside 0–${MAX_DELAY_MS} ms`)
    this.rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY })
  }

  /** Removes every rule and forgets what was seen. */
  reset(): void {
    this.rules = []
    this.seen.length = 0
  }

  /** The requests of one operation (and bucket), in arrival order. */
  requests(operation: string, bucket?: string): SeenRequest[] {
    return this.seen.filter((r) => r.operation === operation && (bucket === undefined || r.bucket === bucket))
  }

  /** Resolves with the first request (past or future) that `predicate` accepts; rejects after `timeoutMs`. */
  waitFor(predicate: (request: SeenRequest) => boolean, timeoutMs: number): Promise<SeenRequest> {
    const already = this.seen.find(predicate)
    if (already) return Promise.resolve(already)
    return new Promise((resolve, reject) => {
      const onRequest = (request: SeenRequest): void => {
        if (!predicate(request)) return
        clearTimeout(timer)
        this.off('request', onRequest)
        resolve(request)
      }
      const timer = setTimeout(() => {
        this.off('request', onRequest)
        reject(new Error(`no matching S3 request reached the fault proxy within ${timeoutMs} ms`))
      }, timeoutMs)
      this.on('request', onRequest)
    })
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
    })
    this.agent.destroy()
  }

  private pick(seen: SeenRequest): Fault | undefined {
    for (const entry of this.rules) {
      if (entry.left <= 0 || entry.rule.operation !== seen.operation) continue
      if (entry.rule.match && !entry.rule.match(seen)) continue
      entry.left--
      return entry.rule.fault
    }
    return undefined
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const described = describeS3Request(req.method ?? 'GET', req.url ?? '/', req.headers)
    const seen: SeenRequest = { seq: ++this.seq, operation: described.operation, bucket: described.bucket, key: described.key, query: described.query, fault: undefined, status: null }
    const fault = this.pick(seen)
    seen.fault = fault === undefined ? undefined : fault.kind === 'status' ? `status ${fault.status}` : fault.kind === 'delay' ? `delay ${fault.ms} ms` : 'cut-mid-body'
    this.seen.push(seen)
    this.emit('request', seen)
    res.on('finish', () => (seen.status = res.statusCode))
    if (fault?.kind === 'status') {
      const [code, message] = ERROR_CODES[fault.status] as [string, string]
      req.resume()
      req.once('end', () => {
        const body = req.method === 'HEAD' ? '' : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
        res.writeHead(fault.status, {
          'content-type': 'application/xml',
          'content-length': String(Buffer.byteLength(body)),
          ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) })
        })
        res.end(body)
      })
      return
    }
    if (fault?.kind === 'cut-mid-body') {
      // Half the declared body, then the connection is gone: the client sees a reset mid-upload.
      const length = Number(req.headers['content-length'] ?? 0)
      let received = 0
      req.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received >= length / 2) req.socket.destroy()
      })
      req.once('end', () => req.socket.destroy())
      return
    }
    if (fault?.kind === 'delay') {
      // The body waits in the socket meanwhile (paused), as on a slow server.
      req.pause()
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        this.forward(req, res)
      }, fault.ms)
      this.timers.add(timer)
      return
    }
    this.forward(req, res)
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
    const upstream = httpRequest({ host: this.upstream.hostname, port: Number(this.upstream.port), method: req.method, path: req.url, headers, agent: this.agent })
    upstream.on('response', (answer) => {
      const responseHeaders: OutgoingHttpHeaders = {}
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'transfer-encoding') responseHeaders[name] = value
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders)
      answer.pipe(res)
      answer.on('error', () => res.destroy())
    })
    upstream.on('error', () => {
      if (res.headersSent) res.destroy()
      else {
        res.writeHead(502, { 'content-type': 'text/plain' })
        res.end('s3 fault proxy: upstream failed\n')
      }
    })
    req.on('error', () => upstream.destroy())
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
    req.resume()
  }
}
