import { DokkuParseError } from '../errors.js'

export interface DokkuVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
  /** As printed, e.g. `0.38.27` (Debian package) or `v0.38.27-33-g33896f5d7` (source install, git describe). */
  readonly raw: string
}

// docs/dokku-contract.md#version: "Parse with /^dokku version v?(\d+)\.(\d+)\.(\d+)/". Applied per line, and the rest of
// the word is kept as `raw` so a git-describe build (commits after the tag) stays visible in messages.
const VERSION_LINE = /^dokku version (v?(\d+)\.(\d+)\.(\d+)\S*)/m

/** Parses the output of `dokku version`. */
export function parseDokkuVersion(output: string): DokkuVersion {
  const match = VERSION_LINE.exec(output)
  if (!match) throw new DokkuParseError('`dokku version` output', output, 'expected a line "dokku version X.Y.Z"')
  return { raw: match[1] as string, major: Number(match[2]), minor: Number(match[3]), patch: Number(match[4]) }
}
