import { DokkuParseError } from '../errors.js'

/** `apps:list --format json` (0.38.21+): `["a","b"]`, `[]` with no apps (docs/dokku-contract.md#apps-list). */
export function parseAppsListJson(text: string): string[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new DokkuParseError('`apps:list --format json` output', text, 'expected a JSON array of names')
  }
  if (!Array.isArray(data) || !data.every((name) => typeof name === 'string'))
    throw new DokkuParseError('`apps:list --format json` output', text, 'expected a JSON array of names')
  return data
}

/**
 * `dokku --quiet apps:list` (older hosts): one app a line, header suppressed. With no apps Dokku
 * prints ` !     You haven't deployed any applications yet` on stderr and exits 0 (docs/dokku-contract.md#apps-list),
 * so the stdout is empty. A `=====> My Apps` header (when not quiet) is skipped too.
 */
export function parseAppsListText(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('=====>') && !line.startsWith('!'))
}
