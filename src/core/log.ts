import * as core from '@actions/core'
import { redact } from './secrets.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

/** Logs through the runner's workflow commands; every line passes through redaction first. */
export const actionsLogger: Logger = {
  info: (m) => core.info(redact(m)),
  warning: (m) => core.warning(redact(m)),
  debug: (m) => core.debug(redact(m)),
  group: (title, fn) => core.group(redact(title), fn)
}

/** Collects lines in memory: for tests that assert what was (and was not) logged. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = []
  info(m: string): void { this.lines.push(redact(m)) }
  warning(m: string): void { this.lines.push(`warning: ${redact(m)}`) }
  debug(m: string): void { this.lines.push(`debug: ${redact(m)}`) }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push(`group: ${redact(title)}`)
    return fn()
  }
  text(): string { return this.lines.join('\n') }
}
