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

/** An action whose issue has not landed yet: it fails loudly instead of pretending to work. */
export class NotImplementedError extends Error {
  constructor(action: string) {
    super(`${action} is not implemented yet in this version of dokku-stack; no change was made to the host.`)
    this.name = 'NotImplementedError'
  }
}

export function errorMessage(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error))
}
