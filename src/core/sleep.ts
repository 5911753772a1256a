import { setTimeout as delay } from 'node:timers/promises'

/**
 * Waits `ms`. With `signal`, it rejects (AbortError) as soon as the signal aborts, so that a run
 * that gave up does not sit out a backoff or a poll interval first.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined)
}
