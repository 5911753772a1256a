// The store's own health wait. Dokku's checks are off for the SeaweedFS app (one container on /data,
// docs/seaweedfs.md#one-container), so Dokku never waits for it: this does, for S3 through the
// endpoint and for the master and the volume server inside the container (docs/seaweedfs.md#health).
import type { DokkuClient } from '../../core/dokku/client.js'
import { errorMessage } from '../../core/errors.js'
import { formatDuration } from '../../core/format.js'
import { waitForHealthy } from '../../core/http/healthcheck.js'
import type { Logger } from '../../core/log.js'
import { redact } from '../../core/secrets.js'
import { sleep } from '../../core/sleep.js'
import { SEAWEED_S3_PORT, SEAWEED_PROCESS } from '../../core/seaweed/recipe.js'
import { IN_CONTAINER_CHECKS, inContainerCheckCommand, SEAWEED_S3_HEALTH_PATH, type InContainerCheck } from '../../core/seaweed/health.js'

export interface StoreHealthWait {
  dokku: DokkuClient
  app: string
  /** Where the runner reaches the store's S3 port. */
  endpoint: string
  timeoutMs: number
  logger: Logger
  /** How the sentence about the app goes on: "was deployed but", "is deployed but", … */
  what: string
}

interface Outcome {
  label: string
  /** The request, as people read it in the error. */
  request: string
  healthy: boolean
  attempts: number
  last: string
}

const INTERVAL_MS = 1000
/** One `dokku enter … wget -T 5`: SSH, docker exec and wget's own limit, with room on a loaded host. */
const ENTER_TIMEOUT_MS = 20_000

/**
 * Waits until S3 answers `/healthz` through the endpoint and the master and volume server answer
 * theirs inside the container, all within `timeoutMs`. On a timeout the error names each part that was
 * not healthy and what it last said. When S3 used up the time, master and volume are still asked once,
 * so the message says whether they are the reason. Nothing here stops or changes the container.
 */
export async function waitForStoreHealth(wait: StoreHealthWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs
  const url = new URL(SEAWEED_S3_HEALTH_PATH, wait.endpoint)
  const s3 = await waitForHealthy({ url, expectedStatus: 200, timeoutMs: wait.timeoutMs, intervalMs: INTERVAL_MS, requestTimeoutMs: 5000 })
  const outcomes: Outcome[] = [
    { label: 'S3', request: `GET ${url.href}`, healthy: s3.healthy, attempts: s3.attempts, last: s3.lastStatus !== undefined ? String(s3.lastStatus) : (s3.lastError ?? 'nothing') },
    ...(await waitInside(wait, deadline))
  ]
  const unhealthy = outcomes.filter((o) => !o.healthy)
  if (unhealthy.length === 0) {
    wait.logger.info(`${outcomes.map((o) => `${o.label} (${o.request})`).join(', ')} answered 200 (S3 after ${s3.attempts} attempt(s))`)
    return
  }
  const lines = outcomes.map((o) =>
    o.healthy
      ? `- ${o.label} answered ${o.request} with 200`
      : `- ${o.label} did not answer ${o.request} with 200 (${o.attempts} attempt(s); last: ${o.last})`
  )
  const hint = s3.healthy ? '' : ` Is ${wait.endpoint} routed to its port ${SEAWEED_S3_PORT}?`
  throw new Error(
    `SeaweedFS app ${wait.app} ${wait.what} ${listed(unhealthy.map((o) => o.label))} ${unhealthy.length === 1 ? 'was' : 'were'} not healthy within ${formatDuration(wait.timeoutMs)}:\n` +
      `${lines.join('\n')}\nLook at \`dokku logs ${wait.app}\`.${hint}`
  )
}

/** Master and volume server, asked with `dokku enter <app> web wget …` until both answer 200 or the deadline passes (at least once). */
async function waitInside(wait: StoreHealthWait, deadline: number): Promise<Outcome[]> {
  const outcomes = IN_CONTAINER_CHECKS.map((check) => ({ check, label: check.label, request: `GET ${check.url} inside the container`, healthy: false, attempts: 0, last: 'nothing' }))
  for (;;) {
    await Promise.all(
      outcomes
        .filter((o) => !o.healthy)
        .map(async (o) => {
          o.attempts++
          const answer = await askInside(wait, o.check)
          o.healthy = answer.healthy
          o.last = answer.last
        })
    )
    const remaining = deadline - Date.now()
    if (outcomes.every((o) => o.healthy) || remaining <= 0) return outcomes.map(({ check: _check, ...o }) => o)
    await sleep(Math.min(INTERVAL_MS, remaining))
  }
}

async function askInside(wait: StoreHealthWait, check: InContainerCheck): Promise<{ healthy: boolean; last: string }> {
  try {
    const result = await wait.dokku.enter(wait.app, { processType: SEAWEED_PROCESS }, inContainerCheckCommand(check), { timeoutMs: ENTER_TIMEOUT_MS })
    if (result.exitCode === 0) return { healthy: true, last: 'exit 0' }
    return { healthy: false, last: `wget exit ${result.exitCode}${lastLine(redact(result.stderr || result.stdout))}` }
  } catch (error) {
    // A container that is not running (yet) or a command cut off: not healthy this time, asked again.
    return { healthy: false, last: lastLine(errorMessage(error)).replace(/^: /, '') }
  }
}

function lastLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1)
  return line ? `: ${line}` : ''
}

function listed(labels: string[]): string {
  if (labels.length <= 1) return labels.join('')
  return `${labels.slice(0, -1).join(', ')} and ${labels.at(-1) as string}`
}
