// The sandbox's S3 endpoint: starts s3-server.ts (fauxqs + recording proxy) in a child Node 24
// process and gives back the proxy's endpoint and a reader for the recorded requests.
import { closeSync, openSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startService, stopService } from './processes.ts'

const SERVER_SCRIPT = fileURLToPath(new URL('./s3-server.ts', import.meta.url))
const READY_TIMEOUT_MS = 15_000

/** Fixed test credentials: fauxqs accepts any; the secret is still never printed by the harness. */
export const S3_ACCESS_KEY_ID = 'SANDBOXACCESSKEY0001'
export const S3_SECRET_ACCESS_KEY = 'sandbox-secret-0123456789abcdefghijklmnop'
export const S3_REGION = 'us-east-1'

export interface S3Options {
  /** Node 24 binary (fauxqs needs node:sqlite). */
  node: string
  storageDir: string
  requestLogPath: string
  logPath: string
  /** Extra environment for the server process. */
  env?: NodeJS.ProcessEnv
}

export interface S3Server {
  /** The recording proxy, by host name so that the client chooses the addressing style. */
  endpoint: string
  /** The recording proxy, by IP (S3 SDKs always use path-style for IP endpoints). */
  endpointIp: string
  /** fauxqs itself, bypassing the recording (for setup that tests should not see). */
  directEndpoint: string
  proxyPort: number
  pid: number
  stop(): Promise<void>
}

export async function startS3(options: S3Options): Promise<S3Server> {
  await mkdir(options.storageDir, { recursive: true })
  await writeFile(options.requestLogPath, '', { flag: 'a', mode: 0o644 })
  const logFd = openSync(options.logPath, 'a')
  const service = (() => {
    try {
      return startService(options.node, ['--no-warnings', SERVER_SCRIPT], {
        env: {
          ...process.env,
          ...options.env,
          SANDBOX_S3_STORAGE_DIR: options.storageDir,
          SANDBOX_S3_REQUEST_LOG: options.requestLogPath,
          SANDBOX_S3_REGION: S3_REGION
        },
        stdio: ['pipe', 'pipe', logFd]
      })
    } finally {
      closeSync(logFd)
    }
  })()
  const child = service.child
  const ports = await new Promise<{ s3Port: number; proxyPort: number }>((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => fail(new Error(`S3 server not ready after ${READY_TIMEOUT_MS} ms (log ${options.logPath})`)), READY_TIMEOUT_MS)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.stdout?.removeAllListeners('data')
      reject(error)
    }
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk
      const newline = buffered.indexOf('\n')
      if (newline === -1) return
      clearTimeout(timer)
      child.stdout?.removeAllListeners('data')
      child.stdout?.resume() // keep draining, nothing more is expected
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as { s3Port: number; proxyPort: number })
      } catch (error) {
        reject(new Error(`S3 server printed ${JSON.stringify(buffered)}`, { cause: error }))
      }
    })
    void service.exited.then((code) => fail(new Error(`S3 server exited (${code}) before it was ready (log ${options.logPath})`)))
  }).catch(async (error: unknown) => {
    await stopService(service, 'SIGKILL', 1_000)
    throw error
  })
  // The child also ends when this pipe closes, i.e. when this process is gone.
  child.stdin?.on('error', () => undefined)
  // Neither pipe may keep the test process alive on its own.
  ;(child.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  ;(child.stdout as unknown as { unref?: () => void } | null)?.unref?.()
  child.unref()
  return {
    endpoint: `http://localhost:${ports.proxyPort}`,
    endpointIp: `http://127.0.0.1:${ports.proxyPort}`,
    directEndpoint: `http://127.0.0.1:${ports.s3Port}`,
    proxyPort: ports.proxyPort,
    pid: service.pid,
    stop: async () => {
      child.stdin?.end()
      await stopService(service, 'SIGTERM', 5_000)
    }
  }
}
