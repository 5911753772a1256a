// Waiting for a condition in a test without judging by time: the condition is polled until it
// holds, and the bound is generous (a loaded machine is slow, not wrong). Only a condition that
// never holds fails, with what was awaited in the message.
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** What is awaited, for the failure message. */
  what: string
  /** Gives up after this long; generous on purpose. */
  timeoutMs?: number
  intervalMs?: number
}

export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (;;) {
    if (await condition()) return
    if (Date.now() >= deadline) throw new Error(`gave up waiting for ${options.what} after ${options.timeoutMs ?? 120_000} ms`)
    await sleep(options.intervalMs ?? 50)
  }
}
