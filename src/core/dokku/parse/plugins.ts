import { DokkuParseError } from '../errors.js'

export interface PluginInfo {
  readonly name: string
  /** Empty when the plugin declares none. */
  readonly version: string
  readonly enabled: boolean
  readonly description: string
}

// plugn list: printf "  %-20s %-5s %-10s %s\n" name version enabled|disabled description (docs/dokku-contract.md#plugins).
// Long names and versions overflow their columns, so the columns are found by the
// enabled|disabled word rather than by position.
const PLUGIN_LINE = /^\s+(\S+)\s+(\S*?)\s*\b(enabled|disabled)\b\s?(.*)$/

/** `plugin:list` text output; lines that are not plugin rows (such as a `plugn: dev` header) are skipped. */
export function parsePluginListText(stdout: string): PluginInfo[] {
  const plugins: PluginInfo[] = []
  for (const line of stdout.split('\n')) {
    const match = PLUGIN_LINE.exec(line)
    if (!match) continue
    plugins.push({ name: match[1] as string, version: match[2] as string, enabled: match[3] === 'enabled', description: (match[4] as string).trim() })
  }
  return plugins
}

/** `plugin:list --format json` (0.38.22+): `[{"name","version","enabled":bool,"core":bool,"description",…}]`. */
export function parsePluginListJson(text: string): PluginInfo[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new DokkuParseError('`plugin:list --format json` output', text, 'expected a JSON array')
  }
  if (!Array.isArray(data)) throw new DokkuParseError('`plugin:list --format json` output', text, 'expected a JSON array')
  return data.map((entry: unknown) => {
    const item = (entry ?? {}) as Record<string, unknown>
    if (typeof item.name !== 'string') throw new DokkuParseError('`plugin:list --format json` output', text, 'expected a "name" in every entry')
    return {
      name: item.name,
      version: typeof item.version === 'string' ? item.version : '',
      enabled: item.enabled === true,
      description: typeof item.description === 'string' ? item.description : ''
    }
  })
}
