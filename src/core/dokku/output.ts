import type { ExecResult } from '../ssh/types.js'

// What Dokku prints can hold secrets we never registered: service DSNs in `postgres:create`/`:info`
// output, and every value `config:set` / `config:import` / `postgres:link` echo in clear (contract
// docs/dokku-contract.md#config, #services). Everything the client shows (errors, streamed build output) passes through here first;
// registered secrets are redacted afterwards by the logger and RemoteCommandError.

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]+)@/gi

/** `postgres://postgres:secret@host` → `postgres://postgres:***@host`. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@')
}

// The echoed entries of a config:set follow "Setting config vars"; the only thing Dokku prints after
// them is "-----> Restarting app <app>" (docs/dokku-contract.md#config-set). Skipping ends only there — not at any
// prefixed line, which a later line of a multi-line value could itself look like.
const ENTRIES_END = /^-----> Restarting app /
const SET_HEADER = /Setting config vars\s*$/
const IMPORT_ENTRY = /^(.*Setting config var )([A-Za-z_][A-Za-z0-9_]*)=.*$/

/** Removes the config values that `config:set` / `config:import` echo; stateful across lines. */
export class ConfigEchoFilter {
  private skipping = false

  /** The line to show, or undefined to drop it. */
  line(line: string): string | undefined {
    // config:import prints each entry as its own line (its value masked here); a value may span lines.
    const entry = IMPORT_ENTRY.exec(line)
    if (entry) {
      this.skipping = true
      return `${entry[1]}${entry[2]}=***`
    }
    if (this.skipping && !ENTRIES_END.test(line)) return undefined
    this.skipping = false
    if (SET_HEADER.test(line)) this.skipping = true
    return line
  }
}

export interface SanitizeOptions {
  /** The command echoes config values (config:set/unset/import, service link/unlink/promote). */
  echoesConfig?: boolean
}

/** Makes command output fit to show: echoed config values dropped, URL passwords masked. */
export function sanitizeOutput(text: string, options: SanitizeOptions = {}): string {
  if (!text) return text
  let out = text
  if (options.echoesConfig) {
    const filter = new ConfigEchoFilter()
    const final = out.endsWith('\n') ? '\n' : ''
    const kept = (final ? out.slice(0, -1) : out)
      .split('\n')
      .map((l) => filter.line(l))
      .filter((l): l is string => l !== undefined)
    out = kept.length === 0 ? '' : kept.join('\n') + final
  }
  return maskUrlCredentials(out)
}

/** Splits streamed chunks into lines for a per-line callback; call `flush()` at the end. */
export class LineEmitter {
  private buffer = ''
  private readonly emit: (line: string) => void

  constructor(emit: (line: string) => void) {
    this.emit = emit
  }

  push(chunk: string): void {
    this.buffer += chunk
    let newline = this.buffer.indexOf('\n')
    while (newline !== -1) {
      this.emit(this.buffer.slice(0, newline).replace(/\r$/, ''))
      this.buffer = this.buffer.slice(newline + 1)
      newline = this.buffer.indexOf('\n')
    }
  }

  flush(): void {
    if (this.buffer !== '') this.emit(this.buffer.replace(/\r$/, ''))
    this.buffer = ''
  }
}

/**
 * Whether either stream contains `needle`. Markers are searched in both streams on purpose:
 * from 0.38 the build capture moves a deploy's stderr onto stdout (docs/dokku-contract.md#build-capture), and which
 * lines are printed before the capture starts differs per command.
 */
export function mentions(result: Pick<ExecResult, 'stdout' | 'stderr'>, needle: string | RegExp): boolean {
  const test = (text: string) => (typeof needle === 'string' ? text.includes(needle) : needle.test(text))
  return test(result.stderr) || test(result.stdout)
}
