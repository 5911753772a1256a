// Hostile strings an input accepts today although they cannot reach the host intact: the reader
// takes them, and the client's quoting refuses them only after the connection is up. Each entry is
// a promise not yet kept, counted as "not held" in RELIABILITY.md. The test fails when a gap no
// longer occurs, so that a fix removes its line here and the figure improves.
export interface KnownGap {
  /** caseName(): `<action> <input>[ (<variant>)]` */
  case: string
  category: string
  why: string
}

const TOO_LONG = 'no length limit before connecting: a value over 32 KiB (one forced-command argument) or 128 KiB (the whole command) is refused by src/core/ssh/quote.ts only when sent'

export const KNOWN_GAPS: readonly KnownGap[] = [
  ...[
    'dokku-deploy branch',
    'dokku-deploy config (value)',
    'dokku-deploy image',
    'dokku-service service (postgres)',
    'dokku-service image',
    'dokku-service link-alias',
    'dokku-service querystring',
    'dokku-service custom-env',
    'dokku-service config-options',
    'backup-run sources (postgres)',
    'backup-run sources (redis)',
    'backup-run sources (config)',
    'backup-run sources (cockroach)',
    'backup-run target'
  ].map((name) => ({ case: name, category: 'long', why: TOO_LONG })),
  {
    case: 'dokku-service config-options',
    category: 'option-like',
    why: 'a value such as -n or -e is accepted, and the forced command\'s echo would swallow it, so the quoting refuses it only when sent'
  }
]
