import { DokkuParseError } from '../errors.js'

export interface StorageMount {
  /** The named entry (0.38+; legacy colon mounts read as `legacy-…`); empty on older hosts. */
  readonly entryName: string
  readonly hostPath: string
  readonly containerPath: string
  readonly readonly: boolean
  /** Options after the second colon (e.g. `ro`); empty when none. */
  readonly volumeOptions: string
}

/**
 * `storage:list <app> --format json`: `[{"entry_name","host_path","container_path"[,"readonly"][,"volume_options"]}]`
 * (0.38; `readonly` and `volume_options` only when set). Before 0.38 the objects have no `entry_name`
 * and always carry `volume_options` (docs/dokku-contract.md#storage).
 */
export function parseStorageListJson(text: string): StorageMount[] {
  let data: unknown
  try {
    data = JSON.parse(text.trim() === '' ? '[]' : text)
  } catch {
    throw new DokkuParseError('`storage:list --format json` output', text, 'expected a JSON array')
  }
  if (data === null) return []
  if (!Array.isArray(data)) throw new DokkuParseError('`storage:list --format json` output', text, 'expected a JSON array')
  return data.map((entry: unknown) => {
    const item = (entry ?? {}) as Record<string, unknown>
    if (typeof item.host_path !== 'string' || typeof item.container_path !== 'string')
      throw new DokkuParseError('`storage:list --format json` output', text, 'expected host_path and container_path in every entry')
    const volumeOptions = typeof item.volume_options === 'string' ? item.volume_options : ''
    return {
      entryName: typeof item.entry_name === 'string' ? item.entry_name : '',
      hostPath: item.host_path,
      containerPath: item.container_path,
      readonly: item.readonly === true || item.readonly === 'true' || volumeOptions.split(',').includes('ro'),
      volumeOptions
    }
  })
}
