// The table of inputs that reach the Dokku host, the runner's shell or a URL, one file per action
// (issue 17, "Hostile input"). Each action lists its inputs once, in its own file, and index.ts
// gathers them: a new action (seaweed-provision, caddy-config, the stack file) adds one file and one
// line there, and every hostile string is then tried through each of its inputs.
import type { DokkuClient } from '../../../src/core/dokku/index.js'
import type { InputReader } from '../../../src/core/inputs/readers.js'

/** Where an input's value goes once accepted. */
export type Destination =
  /** an argument of a dokku command over SSH (quoted by src/core/ssh/quote.ts) */
  | 'host'
  /** a program or file path on the runner (local git, age) */
  | 'runner'
  /** a URL or an S3 key/bucket the runner requests */
  | 'url'
  /** the SSH connection itself (host name, user, keys) */
  | 'ssh'

/** The place in the action's typed settings an accepted value lands, and what it must be there. */
export interface Landing {
  /** Reads the accepted value back from the typed settings (undefined: it is not there). */
  found(settings: unknown): unknown
  /** What `found` must equal for the input's raw value; default: the value with surrounding whitespace trimmed, as InputReader documents. */
  expected?(raw: string): unknown
}

export interface InputCase extends Landing {
  /** The input's name in action.yml. */
  input: string
  /** A short name for the case when one input is tried in several shapes (`sources` as postgres:…, config:…). */
  variant?: string
  reaches: readonly Destination[]
  /** A list or KEY=VALUE input, read a line at a time: blank and `#` comment lines are skipped. */
  lines?: boolean
  /** Secrets are never shown in an error, not even the bad value. */
  secret?: boolean
  /** Other inputs that make this one matter (e.g. `source: image` for `image`). */
  with?: Readonly<Record<string, string>>
  /** Turns the hostile string into the input's value (default: as is), e.g. `postgres:${s}` for sources. */
  wrap?(hostile: string): string
  /**
   * For values that go to the host: the DokkuClient calls that carry the accepted value, as the
   * action makes them. The hostile-argv sandbox test records what the client sends and what the
   * simulator receives. `fixture` names an app and a service that exist on the host.
   */
  send?(dokku: DokkuClient, settings: unknown, fixture: HostFixture): Promise<unknown>
}

export interface HostFixture {
  /** An app that exists. */
  app: string
  /** A postgres service that exists. */
  service: string
  /** An app name that does not exist (commands against it fail cleanly). */
  absentApp: string
  /** A config key of `app` no other sample writes (samples run concurrently). */
  configKey: string
}

export interface ActionInputTable {
  action: string
  /** The action's real input reader (the function its main.ts calls). */
  read(inputs: InputReader): unknown
  /** A complete, valid set of inputs; each case overrides one of them. */
  base: Readonly<Record<string, string>>
  /** Secrets among `base`, never to appear in an error message. */
  baseSecrets: readonly string[]
  cases: readonly InputCase[]
}

/** The runner's mapping from an input name to its environment variable (@actions/core getInput). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}
