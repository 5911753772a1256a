// Child-process entry (Node 24, type stripping): the sandbox's S3 server — fauxqs with
// file-backed storage — and the recording proxy in front of it, both on 127.0.0.1. Runs in
// its own process so that a test blocking its event loop (spawnSync of rclone, say) cannot
// stall the server it talks to. Prints one JSON line `{"s3Port":…,"proxyPort":…}` on stdout
// when both listen; ends on SIGTERM/SIGINT or when its stdin closes (the parent is gone).
//
// Environment: SANDBOX_S3_STORAGE_DIR, SANDBOX_S3_REQUEST_LOG, SANDBOX_S3_REGION.
import net from 'node:net'
import { multipartListingAnswer } from './multipart-listing.ts'
import { startRecordingProxy } from './recording-proxy.ts'

const storageDir = requiredEnv('SANDBOX_S3_STORAGE_DIR')
const requestLog = requiredEnv('SANDBOX_S3_REQUEST_LOG')
const region = process.env.SANDBOX_S3_REGION ?? 'us-east-1'

// fauxqs 2.4 hard-codes listen({ host: '0.0.0.0' }); the sandbox's servers listen on loopback
// only, so rewrite that one host for the listen() calls made in this process.
const listenedServers: net.Server[] = []
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
  const first = args[0]
  if (typeof first === 'object' && first !== null && (first as net.ListenOptions).host === '0.0.0.0') {
    args[0] = { ...(first as net.ListenOptions), host: '127.0.0.1' }
  }
  listenedServers.push(this)
  return (originalListen as (...a: unknown[]) => net.Server).apply(this, args)
} as typeof net.Server.prototype.listen

const { startFauxqs } = await import('fauxqs')
const fauxqs = await startFauxqs({ port: 0, logger: false, s3StorageDir: storageDir, defaultRegion: region })
net.Server.prototype.listen = originalListen
for (const server of listenedServers) {
  const address = server.address()
  if (typeof address === 'object' && address !== null && address.address !== '127.0.0.1') {
    process.stderr.write(`fauxqs listens on ${address.address}, not 127.0.0.1: refusing to run\n`)
    process.exit(70)
  }
}

// ListMultipartUploads and ListParts, which fauxqs lacks, answered from its own files (multipart-listing.ts).
const proxy = await startRecordingProxy({
  upstream: { host: '127.0.0.1', port: fauxqs.port },
  logPath: requestLog,
  answer: (request) => multipartListingAnswer(storageDir, request)
})
process.stdout.write(`${JSON.stringify({ s3Port: fauxqs.port, proxyPort: proxy.port })}\n`)

let stopping = false
async function shutdown(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  const force = setTimeout(() => process.exit(code), 3_000)
  force.unref()
  await Promise.allSettled([proxy.close(), fauxqs.stop()])
  process.exit(code)
}
process.on('SIGTERM', () => void shutdown(0))
process.on('SIGINT', () => void shutdown(0))
process.stdin.on('end', () => void shutdown(0))
process.stdin.on('error', () => void shutdown(0))
process.stdin.resume()

function requiredEnv(name: string): string {
  const value = process.env[name]
  if (!value) {
    process.stderr.write(`${name} is not set\n`)
    process.exit(64)
  }
  return value
}
