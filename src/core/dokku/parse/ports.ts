import { DokkuParseError } from '../errors.js'

/** One port map `scheme:host-port:container-port` (docs/dokku-contract.md#ports). */
export interface PortMap {
  readonly scheme: string
  readonly hostPort: number
  readonly containerPort: number
}

export function formatPortMap(map: PortMap): string {
  return `${map.scheme}:${map.hostPort}:${map.containerPort}`
}

export function parsePortMap(text: string): PortMap {
  const match = /^([a-z][a-z0-9]*):(\d{1,5}):(\d{1,5})$/.exec(text)
  if (!match) throw new DokkuParseError('a port map', text, 'expected scheme:host-port:container-port')
  return { scheme: match[1] as string, hostPort: Number(match[2]), containerPort: Number(match[3]) }
}

/** `ports:report <app> --ports-map` (and the `map` report key): space-separated maps, empty when none. */
export function parsePortMaps(text: string): PortMap[] {
  const trimmed = text.trim()
  return trimmed === '' ? [] : trimmed.split(/\s+/).map(parsePortMap)
}

/**
 * `--ports-map-json` / `--ports-map-detected-json`: `[{"scheme","host_port","container_port"}]`
 * with integer ports; an empty configured map is `null` (or `[]`) (docs/dokku-contract.md#ports).
 */
export function parsePortMapsJson(text: string): PortMap[] {
  let data: unknown
  try {
    data = JSON.parse(text.trim() === '' ? 'null' : text)
  } catch {
    throw new DokkuParseError('a JSON port map list', text, 'expected a JSON array')
  }
  if (data === null) return []
  if (!Array.isArray(data)) throw new DokkuParseError('a JSON port map list', text, 'expected a JSON array')
  return data.map((entry: unknown) => {
    const item = (entry ?? {}) as Record<string, unknown>
    const hostPort = Number(item.host_port)
    const containerPort = Number(item.container_port)
    if (typeof item.scheme !== 'string' || !Number.isInteger(hostPort) || !Number.isInteger(containerPort))
      throw new DokkuParseError('a JSON port map list', text, 'expected scheme, host_port and container_port in every entry')
    return { scheme: item.scheme, hostPort, containerPort }
  })
}
