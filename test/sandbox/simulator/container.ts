// An app "container" of the sandbox host: a small HTTP server started by the simulator's
// deploy with the app's config as its environment. It listens on the app's stable port
// with SO_REUSEPORT (so a new release can start before the old one is stopped) and on a
// private port used only for the deploy's checks, then writes its PID file.
//   node container.ts <root> <name> <port> <deployed> <healthy:0|1>
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [root, name, portText, deployed, healthy] = process.argv.slice(2) as [string, string, string, string, string]
const port = Number(portText)

function handle(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('X-Sandbox-Deployed', deployed)
  res.setHeader('X-Sandbox-App', process.env.DOKKU_SANDBOX_APP ?? '')
  const url = req.url ?? '/'
  if (url === '/health' || url.startsWith('/health?')) {
    const ok = healthy === '1'
    res.statusCode = ok ? 200 : 500
    res.setHeader('Content-Type', 'text/plain')
    res.end(ok ? 'ok\n' : 'unhealthy\n')
    return
  }
  if (url === '/__sandbox/env') {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOKKU_SANDBOX_INTERNAL')))))
    return
  }
  res.setHeader('Content-Type', 'text/plain')
  res.end(`${process.env.DOKKU_SANDBOX_APP ?? 'app'} ${deployed}\n`)
}

const main = createServer(handle)
const check = createServer(handle)
let pending = 2
const ready = (): void => {
  if (--pending > 0) return
  const address = check.address()
  const checkPort = typeof address === 'object' && address ? address.port : 0
  const pidFile = join(root, 'run', `${name}.pid`)
  writeFileSync(`${pidFile}.tmp`, String(process.pid), { mode: 0o666 })
  renameSync(`${pidFile}.tmp`, pidFile)
  writeFileSync(join(root, 'run', `${name}.ready`), JSON.stringify({ pid: process.pid, checkPort }), { mode: 0o666 })
}
const fail = (error: Error): void => {
  process.stderr.write(`container ${name}: ${error.message}\n`)
  process.exit(1)
}
main.on('error', fail)
check.on('error', fail)
main.listen({ host: '127.0.0.1', port, reusePort: true }, ready)
check.listen({ host: '127.0.0.1', port: 0 }, ready)

const stop = (): void => {
  rmSync(join(root, 'run', `${name}.ready`), { force: true })
  rmSync(join(root, 'run', `${name}.pid`), { force: true })
  main.close()
  check.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.on('SIGHUP', () => undefined)
