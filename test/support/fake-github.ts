import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GitHubRequest {
  method: string
  path: string
  body: Record<string, unknown> | undefined
}

/**
 * GitHub's REST API cannot run here: this stands in for the few endpoints the deploy action
 * calls, on 127.0.0.1, and records every request so tests can assert what was sent.
 */
export class FakeGitHub {
  readonly requests: GitHubRequest[] = []
  private readonly server: Server
  private nextId = 100
  private readonly comments = new Map<number, Array<{ id: number; body: string }>>()
  private readonly deployments: Array<{ id: number; environment: string }> = []

  constructor() {
    this.server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c: Buffer) => (raw += c.toString()))
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://localhost')
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined
        this.requests.push({ method: req.method ?? '', path: url.pathname, body })
        const reply = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data))
        const match = (re: RegExp) => re.exec(url.pathname)
        let m: RegExpExecArray | null
        if (req.method === 'POST' && match(/^\/repos\/[^/]+\/[^/]+\/deployments$/)) {
          const id = this.nextId++
          this.deployments.push({ id, environment: String(body?.environment) })
          return reply(201, { id })
        }
        if (req.method === 'GET' && match(/^\/repos\/[^/]+\/[^/]+\/deployments$/))
          return reply(200, this.deployments.filter((d) => d.environment === url.searchParams.get('environment')))
        if (req.method === 'POST' && match(/^\/repos\/[^/]+\/[^/]+\/deployments\/\d+\/statuses$/)) return reply(201, { id: this.nextId++ })
        if ((m = match(/^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
          const list = this.comments.get(Number(m[1])) ?? []
          this.comments.set(Number(m[1]), list)
          if (req.method === 'GET') return reply(200, list)
          const comment = { id: this.nextId++, body: String(body?.body) }
          list.push(comment)
          return reply(201, comment)
        }
        if (req.method === 'PATCH' && (m = match(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/))) {
          for (const list of this.comments.values()) for (const c of list) if (c.id === Number(m[1])) c.body = String(body?.body)
          return reply(200, { id: Number(m[1]) })
        }
        reply(404, { message: 'Not Found' })
      })
    })
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  commentsOn(pullRequest: number): Array<{ id: number; body: string }> {
    return this.comments.get(pullRequest) ?? []
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
