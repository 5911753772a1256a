import * as core from '@actions/core'
import { ConfigurationError, NotImplementedError, errorMessage } from './errors.js'
import { readCommonInputs } from './inputs/common.js'
import { InputReader } from './inputs/readers.js'
import { redact } from './secrets.js'

/**
 * The outer guard of every entry point: runs the action and turns any error into a
 * failed step whose message says which action failed. Keep as little as possible
 * outside `run`, so that everything that can throw is reported the same way.
 */
export async function runAction(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (error instanceof Error && error.stack) core.debug(redact(error.stack))
    const prefix = error instanceof ConfigurationError ? `${name}: invalid configuration` : `${name} failed`
    core.setFailed(`${prefix}: ${errorMessage(error)}`)
  }
}

/**
 * The `run` of an action whose issue has not landed: it still validates the common
 * inputs (so a workflow can be wired up and checked), then fails without touching the host.
 */
export function notYetImplemented(name: string): (inputs?: InputReader) => Promise<void> {
  return async (inputs = new InputReader()) => {
    readCommonInputs(inputs)
    throw new NotImplementedError(name)
  }
}
