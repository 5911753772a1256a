// From a Kubernetes Secret to Dokku config: which Secret key becomes which config key. Values
// stay base64 (as the Secret's `.data` holds them) all the way to `config:set --encoded`: nothing
// here decodes them. Pure functions.

/**
 * What V-Sekai's `uro-prod` Secret held and what Uro reads today
 * (docs/scale-out.md and the reference's K8s → Dokku table): the key base and the Discord OAuth
 * keys were renamed; `pass` (DATABASE_PASS) is not mapped: Postgrex reads the password from
 * DATABASE_URL, which the Dokku service link sets.
 */
export const URO_SECRET_MAP: ReadonlyMap<string, string> = new Map([
  ['secret-key-base', 'PHOENIX_KEY_BASE'],
  ['sendgrid-api-key', 'SENDGRID_API_KEY'],
  ['discord-client-id', 'OAUTH2_DISCORD_CLIENT_ID'],
  ['discord-client-secret', 'OAUTH2_DISCORD_CLIENT_SECRET']
])

/** Uro turns an OAuth2 provider on by its `_STRATEGY` key; the Secret never had one. */
export const DISCORD_STRATEGY = { key: 'OAUTH2_DISCORD_STRATEGY', value: 'Assent.Strategy.Discord' } as const

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export interface SecretPlan {
  /** Config keys to set, with the Secret's base64 values. */
  readonly encoded: Record<string, string>
  /** Plain (non-secret) config values to set beside them. */
  readonly plain: Record<string, string>
  /** Config keys already holding the Secret's value. */
  readonly unchanged: string[]
  /** Secret keys the mapping does not name: not copied (by name only). */
  readonly unmapped: string[]
  /** Mapping entries whose Secret key is absent. */
  readonly absent: string[]
}

/**
 * Compares the Secret (base64 values) with the app's config (plain values, from config:export):
 * the host's value is encoded for the comparison, the Secret's is never decoded.
 */
export function planSecretMapping(data: Readonly<Record<string, string>>, mapping: ReadonlyMap<string, string>, current: Readonly<Record<string, string>>): SecretPlan {
  const encoded: Record<string, string> = {}
  const plain: Record<string, string> = {}
  const unchanged: string[] = []
  const absent: string[] = []
  for (const [secretKey, configKey] of mapping) {
    const value = data[secretKey]
    if (value === undefined) {
      absent.push(secretKey)
      continue
    }
    if (!BASE64.test(value) || value.length % 4 !== 0) throw new Error(`The Secret's value for ${secretKey} is not base64 (not shown)`)
    const held = current[configKey]
    if (held !== undefined && Buffer.from(held, 'utf8').toString('base64') === value) unchanged.push(configKey)
    else encoded[configKey] = value
  }
  const discord = [...mapping.values()].some((key) => key.startsWith('OAUTH2_DISCORD_') && (encoded[key] !== undefined || unchanged.includes(key)))
  if (discord && current[DISCORD_STRATEGY.key] !== DISCORD_STRATEGY.value) plain[DISCORD_STRATEGY.key] = DISCORD_STRATEGY.value
  const unmapped = Object.keys(data).filter((key) => !mapping.has(key)).sort()
  return { encoded, plain, unchanged, unmapped, absent }
}
