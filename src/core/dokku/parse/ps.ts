import { DokkuParseError } from '../errors.js'

/** `ps:scale <app> --format json` (0.38.21+): `[{"process_type":"web","quantity":1}]`, `[]` when nothing is set. */
export function parseScaleJson(text: string): Record<string, number> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new DokkuParseError('`ps:scale --format json` output', text, 'expected a JSON array')
  }
  if (data === null) return {}
  if (!Array.isArray(data)) throw new DokkuParseError('`ps:scale --format json` output', text, 'expected a JSON array')
  const scale: Record<string, number> = {}
  for (const entry of data as unknown[]) {
    const item = (entry ?? {}) as Record<string, unknown>
    if (typeof item.process_type !== 'string' || typeof item.quantity !== 'number')
      throw new DokkuParseError('`ps:scale --format json` output', text, 'expected process_type and quantity in every entry')
    scale[item.process_type] = item.quantity
  }
  return scale
}

/**
 * `ps:scale <app>` text (docs/dokku-contract.md#ps-scale): `-----> Scaling for web`, `proctype: qty`, `--------: ---`,
 * then `RightPad("<type>:", 5) + " " + <n>` lines. `--quiet` drops the three header lines.
 */
export function parseScaleText(stdout: string): Record<string, number> {
  const scale: Record<string, number> = {}
  for (const line of stdout.split('\n')) {
    const match = /^\s*([A-Za-z0-9_.-]+):\s+(\d+)\s*$/.exec(line)
    if (match) scale[match[1] as string] = Number(match[2])
  }
  return scale
}
