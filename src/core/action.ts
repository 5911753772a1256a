import * as core from '@actions/core'
import { ConfigurationError, errorMessage } from './errors.js'
import { formatDuration } from './format.js'
import { redact } from './secrets.js'
import { endConnections } from './ssh/connection.js'

/** How long the process may stay up once the action is over, before it is ended regardless. */
const EXIT_GRACE_MS = 5_000

/**
 * The outer guard of every entry point: runs the action and turns any error into a
 * failed step whose message says which action failed. Keep as little as possible
 * outside `run`, so that everything that can throw is reported the same way.
 *
 * Then the process ends, whatever the action left behind: the SSH connections still open are
 * closed (their commands stopped, their streams destroyed), and should anything else still hold
 * the process a few seconds later, it exits anyway: a failed step that never ends would hold
 * the job until its time limit (six hours on GitHub) and hide the failure.
 */
export async function runAction(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (error instanceof Error && error.stack) core.debug(redact(error.stack))
    const prefix = error instanceof ConfigurationError ? `${name}: invalid configuration` : `${name} failed`
    core.setFailed(`${prefix}: ${errorMessage(error)}`)
  } finally {
    exitIfStillHeld(name)
    const left = await endConnections()
    if (left.length > 0) core.debug(`${name} left ${left.length} connection(s) open; closed: ${left.map(redact).join('; ')}`)
  }
}

/** The backstop: an unref'd timer never holds the process itself, so it fires only if something else does. */
function exitIfStillHeld(name: string): void {
  const timer = setTimeout(() => {
    const held = process.getActiveResourcesInfo().filter((resource) => resource !== 'TTYWrap')
    core.debug(`${name} is over but the process was still held open ${formatDuration(EXIT_GRACE_MS)} later (by ${describeResources(held)}); exiting`)
    process.exit()
  }, EXIT_GRACE_MS)
  timer.unref()
}

function describeResources(resources: string[]): string {
  const counts = new Map<string, number>()
  for (const resource of resources) counts.set(resource, (counts.get(resource) ?? 0) + 1)
  return counts.size === 0 ? 'nothing Node reports' : [...counts].map(([resource, n]) => `${n} ${resource}`).join(', ')
}
