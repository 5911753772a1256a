/**
 * `caddy:labels:show <app>` (0.37+, docs/dokku-contract.md#caddy-labels): `=====> web caddy labels` then `       label=value`
 * lines; with no labels only a ` !     No caddy labels set for web` warning on stderr, exit 0.
 */
export function parseCaddyLabels(stdout: string): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    if (/^\s*(=====>|-----> | !)/.test(line)) continue
    const trimmed = line.trim()
    const eq = trimmed.indexOf('=')
    if (eq <= 0) continue
    labels[trimmed.slice(0, eq)] = trimmed.slice(eq + 1)
  }
  return labels
}
