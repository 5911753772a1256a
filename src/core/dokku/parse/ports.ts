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
