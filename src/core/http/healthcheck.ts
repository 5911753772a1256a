import { sleep } from '../sleep.js'

export interface HealthCheckOptions {
  url: URL
  expectedStatus: number
  timeoutMs: number
  /** Pause between attempts. */
  intervalMs?: number
  /** Time limit of one request. */
  requestTimeoutMs?: number
  onAttempt?: (attempt: HealthAttempt) => void
}

export interface HealthAttempt {
  attempt: number
  status: number | undefined
  error: string | undefined
}

export interface HealthCheckResult {
  healthy: boolean
  attempts: number
  lastStatus: number | undefined
  lastError: string | undefined
  elapsedMs: number
}

/**
 * Polls the URL from the runner (outside the host, as a user would reach it) until it answers
 * with the expected status or the time runs out. Redirects are not followed: a redirect to a
 * login page must not pass for healthy.
 */
export async function waitForHealthy(options: HealthCheckOptions): Promise<HealthCheckResult> {
  const interval = options.intervalMs ?? 2000
  const requestTimeout = Math.min(options.requestTimeoutMs ?? 10_000, options.timeoutMs)
  const started = Date.now()
  let attempts = 0
  let lastStatus: number | undefined
  let lastError: string | undefined
  for (;;) {
    attempts++
    try {
      const response = await fetch(options.url, { redirect: 'manual', signal: AbortSignal.timeout(requestTimeout), headers: { 'user-agent': 'dokku-stack-healthcheck' } })
      await response.body?.cancel()
      lastStatus = response.status
      lastError = undefined
    } catch (error) {
      lastStatus = undefined
      lastError = describeFetchError(error)
    }
    options.onAttempt?.({ attempt: attempts, status: lastStatus, error: lastError })
    if (lastStatus === options.expectedStatus) return { healthy: true, attempts, lastStatus, lastError, elapsedMs: Date.now() - started }
    const remaining = options.timeoutMs - (Date.now() - started)
    if (remaining <= 0) return { healthy: false, attempts, lastStatus, lastError, elapsedMs: Date.now() - started }
    await sleep(Math.min(interval, remaining))
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if (error.name === 'TimeoutError') return 'request timed out'
  return cause?.code ?? cause?.message ?? error.message
}
