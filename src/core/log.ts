import * as core from '@actions/core'
import { redact } from './secrets.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /**
   * Folds what `fn` logs under `title`. GitHub does not nest `::group::`: a group opened inside
   * another closes the outer one early and leaves the rest of it unfolded. So only the outermost
   * call opens a group; a call inside it (or beside it, while it is open) prints its title as a
   * plain line and runs `fn` in the open group.
   */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}

/** The title line of a group that could not open its own, inside the one that is open. */
export function innerGroupTitle(title: string): string {
  return `── ${title}`
}

/** Tracks whether a group is open, so that groups never nest (see Logger.group). */
class GroupDepth {
  private open = 0

  async run<T>(title: string, fn: () => Promise<T>, openGroup: (title: string, fn: () => Promise<T>) => Promise<T>, plainLine: (line: string) => void): Promise<T> {
    if (this.open > 0) {
      plainLine(innerGroupTitle(title))
      return fn()
    }
    this.open++
    try {
      return await openGroup(title, fn)
    } finally {
      this.open--
    }
  }
}

const runnerGroups = new GroupDepth()

/** Logs through the runner's workflow commands; every line passes through redaction first. */
export const actionsLogger: Logger = {
  info: (m) => core.info(redact(m)),
  warning: (m) => core.warning(redact(m)),
  debug: (m) => core.debug(redact(m)),
  group: (title, fn) =>
    runnerGroups.run(
      title,
      fn,
      (t, f) => core.group(redact(t), f),
      (line) => core.info(redact(line))
    )
}

/** Collects lines in memory: for tests that assert what was (and was not) logged. Groups follow the same no-nesting rule. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = []
  private readonly groups = new GroupDepth()
  info(m: string): void { this.lines.push(redact(m)) }
  warning(m: string): void { this.lines.push(`warning: ${redact(m)}`) }
  debug(m: string): void { this.lines.push(`debug: ${redact(m)}`) }
  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return this.groups.run(
      title,
      fn,
      (t, f) => {
        this.lines.push(`group: ${redact(t)}`)
        return f()
      },
      (line) => this.lines.push(redact(line))
    )
  }
  text(): string { return this.lines.join('\n') }
}
