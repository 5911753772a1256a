import { redact } from './secrets.js'

/** A mistake the user can fix in the workflow: the message names the input, the bad value and the fix. */
export class ConfigurationError extends Error {
  readonly input: string | undefined
  constructor(message: string, input?: string) {
    super(message)
    this.name = 'ConfigurationError'
    this.input = input
  }
}

export function errorMessage(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
}
