// Dokku's caddy-docker-proxy container, stood in for by a real Caddy (Debian's 2.6) on loopback:
// it loads the Caddyfile an action rendered with unprivileged ports, its own storage, no admin
// endpoint and no system trust store, and logs where the sandbox's `caddy:logs` reads.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { freePort } from '../sandbox/harness/ports.ts'

export interface HttpsAnswer {
  status: number
  body: string
  issuer: string
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}

export class CaddyStandIn {
  private child: ChildProcess | undefined
  /** The sandbox host's root: its `caddy:logs` reads `caddy/container.log` there. */
  private readonly sandboxRoot: string
  readonly dir: string
  readonly httpPort: number
  readonly httpsPort: number

  private constructor(sandboxRoot: string, dir: string, httpPort: number, httpsPort: number) {
    this.sandboxRoot = sandboxRoot
    this.dir = dir
    this.httpPort = httpPort
    this.httpsPort = httpsPort
  }

  static async create(sandboxRoot: string): Promise<CaddyStandIn> {
    return new CaddyStandIn(sandboxRoot, await mkdtemp(join(tmpdir(), 'caddy-e2e-')), await freePort(), await freePort())
  }

  get containerLog(): string {
    return join(this.sandboxRoot, 'caddy', 'container.log')
  }

  /** Caddy's local CA, which signs the `tls internal` certificates (written once Caddy has issued one). */
  rootCertificate(): Buffer {
    return readFileSync(join(this.dir, 'storage', 'pki', 'authorities', 'local', 'root.crt'))
  }

  /**
   * (Re)starts Caddy on the rendered Caddyfile. `upstreams` replaces an upstream address the
   * rendered file names (a container's IP and port) with where the sandbox serves it, as Docker
   * publishes a container's port on the host.
   */
  async start(caddyfile: string, upstreams: Record<string, string> = {}): Promise<void> {
    await this.stop()
    const globals = [`\tdefault_bind 127.0.0.1`, `\thttp_port ${this.httpPort}`, `\thttps_port ${this.httpsPort}`, '\tadmin off', '\tskip_install_trust', `\tstorage file_system ${join(this.dir, 'storage')}`]
    let text = readFileSync(caddyfile, 'utf8')
    if (!text.startsWith('{\n')) throw new Error(`the rendered Caddyfile does not start with its global options: ${text.slice(0, 200)}`)
    for (const [from, to] of Object.entries(upstreams)) text = text.split(from).join(to)
    const file = join(this.dir, 'Caddyfile')
    writeFileSync(file, `{\n${globals.join('\n')}\n${text.slice(2)}`)
    mkdirSync(join(this.sandboxRoot, 'caddy'), { recursive: true, mode: 0o777 })
    const log = openSync(this.containerLog, 'a', 0o666)
    const env = { ...process.env, HOME: this.dir, XDG_DATA_HOME: join(this.dir, 'data'), XDG_CONFIG_HOME: join(this.dir, 'config') }
    const child = spawn('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], { stdio: ['ignore', log, log], env })
    this.child = child
    closeSync(log)
    const deadline = Date.now() + 30_000
    while (!(await listening(this.httpsPort))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`caddy did not start: ${readFileSync(this.containerLog, 'utf8').slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  async dispose(): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }

  /** GET over HTTPS as a visitor of `domain` would (SNI and Host name it), trusting any certificate. */
  httpsGet(domain: string, path: string): Promise<HttpsAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.httpsPort, path, servername: domain, headers: { host: `${domain}:${this.httpsPort}` }, rejectUnauthorized: false, agent: false, timeout: 30_000 },
        (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, issuer: String((res.socket as TLSSocket).getPeerCertificate().issuer?.CN ?? '') }))
        }
      )
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', reject)
      req.end()
    })
  }

  /** Caddy listens before it has issued its internal certificates: retry the handshake for a while. */
  async httpsGetWhenReady(domain: string, path: string): Promise<HttpsAnswer> {
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        return await this.httpsGet(domain, path)
      } catch (error) {
        if (Date.now() > deadline) throw error
        await new Promise((r) => setTimeout(r, 500))
      }
    }
  }
}
