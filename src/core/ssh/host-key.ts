import { createHash } from 'node:crypto'
import ssh2 from 'ssh2'
import type { ServerHostKeyAlgorithm } from 'ssh2'
import { ConfigurationError } from '../errors.js'

/** One trusted host key, identified by its SHA-256 fingerprint. */
export interface HostKeyPin {
  /** `SHA256:<base64 without padding>`, as OpenSSH prints it. */
  fingerprint: string
  /** The SSH key type (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …) when the input said it. */
  keyType: string | undefined
  /** Where the pin came from in the input, for messages: `line 2`. */
  source: string
}

// Host key types ssh2 can verify. Certificates and security-key types never serve as plain host keys.
const KEY_TYPES: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  // One RSA key signs with any of the three algorithms; offer the SHA-2 ones first, as OpenSSH does.
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss']
}

// `ssh-keygen -l` ends its line with the key type in parentheses; ECDSA needs the bit count too.
const KEYGEN_TYPE_NAMES: Record<string, (bits: number | undefined) => string | undefined> = {
  ED25519: () => 'ssh-ed25519',
  RSA: () => 'ssh-rsa',
  DSA: () => 'ssh-dss',
  ECDSA: (bits) => (bits === 256 || bits === 384 || bits === 521 ? `ecdsa-sha2-nistp${bits}` : undefined)
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/
const SHOWN_LINE_LENGTH = 60

const HOW_TO_GET =
  'Run `ssh-keyscan -p PORT HOST` from a trusted machine and paste its output (one `host keytype base64` line per key), ' +
  'or paste a fingerprint as printed by `ssh-keygen -lf` (`SHA256:…`).'

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The key type written at the start of an SSH public key blob (RFC 4253 §6.6), if the blob is well formed. */
export function keyTypeOfBlob(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined
  const length = keyBlob.readUInt32BE(0)
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return undefined
  const type = keyBlob.subarray(4, 4 + length).toString('latin1')
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined
}

/** A known_hosts line for a key: what a user stores in the `ssh-host-key` input to pin it. */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  const name = port === 22 ? host : `[${host}]:${port}`
  return `${name} ${keyTypeOfBlob(keyBlob) ?? 'unknown'} ${keyBlob.toString('base64')}`
}

/**
 * Parses the `ssh-host-key` input: known_hosts lines (plain, hashed, `[host]:port`, or bare
 * `keytype base64`) and `SHA256:` fingerprints, one per line; blank lines and `#` comments
 * (ssh-keyscan prints those) are skipped. The host names in known_hosts lines are not
 * compared with the host input: the pin is the key, whatever name it was scanned under.
 */
export function parseHostKeyPins(inputName: string, text: string): HostKeyPin[] {
  const pins: HostKeyPin[] = []
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const source = `line ${index + 1}`
    const fail = (problem: string, fix: string): never => {
      throw new ConfigurationError(`Input "${inputName}", ${source} (\`${shorten(line)}\`): ${problem}. ${fix}`, inputName)
    }
    const pin = parseLine(line, source, fail)
    if (!pins.some((p) => p.fingerprint === pin.fingerprint && p.keyType === pin.keyType)) pins.push(pin)
  })
  if (pins.length === 0)
    throw new ConfigurationError(`Input "${inputName}" contains no host key (only blank lines or comments). ${HOW_TO_GET}`, inputName)
  return pins
}

/**
 * The ssh2 `algorithms.serverHostKey` list that makes the server present a pinned key: a host
 * with several keys otherwise negotiates the client's first preference, which may be a key the
 * user did not pin. Undefined when some pin has no known type (a bare fingerprint), since then
 * every algorithm must stay possible.
 */
export function hostKeyAlgorithmsFor(pins: readonly HostKeyPin[]): ServerHostKeyAlgorithm[] | undefined {
  if (pins.length === 0 || pins.some((p) => p.keyType === undefined)) return undefined
  const algorithms: ServerHostKeyAlgorithm[] = []
  // Keep ssh2's own order of preference among the pinned types.
  for (const [type, names] of Object.entries(KEY_TYPES)) {
    if (pins.some((p) => p.keyType === type)) algorithms.push(...names)
  }
  return algorithms
}

type Fail = (problem: string, fix: string) => never

function parseLine(line: string, source: string, fail: Fail): HostKeyPin {
  if (line.startsWith('@')) {
    const marker = line.split(/\s+/)[0]
    return fail(
      `"${marker}" lines are not supported: a pin must be the host's own key, not a revocation or a certificate authority`,
      'Remove the marker line and paste the host key itself (`ssh-keyscan -p PORT HOST`).'
    )
  }
  if (/^(SHA256:|\d+\s+SHA256:)/.test(line)) return parseFingerprintLine(line, source, fail)
  if (/^(MD5:|\d+\s+MD5:)/i.test(line) || /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(line))
    return fail('MD5 fingerprints are too weak to pin a host', 'Print the SHA-256 fingerprint with `ssh-keygen -l -E sha256 -f <key file>`, or paste the `ssh-keyscan` line.')

  const fields = line.split(/\s+/)
  // Either `keytype base64 [comment]` or `hosts keytype base64 [comment]`.
  const typeIndex = fields[0] !== undefined && isKeyTypeLike(fields[0]) && looksLikeBase64(fields[1]) ? 0 : 1
  const keyType = fields[typeIndex]
  const base64 = fields[typeIndex + 1]
  if (keyType === undefined || base64 === undefined)
    return fail('this is neither a known_hosts line nor a SHA256: fingerprint', HOW_TO_GET)
  if (!(keyType in KEY_TYPES)) {
    if (!looksLikeBase64(base64)) return fail('this is neither a known_hosts line nor a SHA256: fingerprint', HOW_TO_GET)
    const certificate = keyType.includes('-cert-v01@openssh.com')
    return fail(
      `unsupported key type "${shorten(keyType, 40)}"${certificate ? ' (host certificates are not supported)' : ''}; supported: ${Object.keys(KEY_TYPES).join(', ')}`,
      'Pin one of the host\'s plain keys: `ssh-keyscan -t ed25519 -p PORT HOST`.'
    )
  }
  if (!BASE64.test(base64) || base64.length % 4 !== 0)
    return fail('the key is not valid base64 (it may have been cut or wrapped)', 'Paste the whole line exactly as ssh-keyscan printed it, on one line.')
  const blob = Buffer.from(base64, 'base64')
  const embedded = keyTypeOfBlob(blob)
  if (embedded !== keyType)
    return fail(
      embedded === undefined ? 'the base64 data is not an SSH public key' : `the line says "${keyType}" but the key inside is "${embedded}"`,
      'Paste the whole line exactly as ssh-keyscan printed it.'
    )
  // A cut-off key can still be valid base64 with the right type in front; only a full parse tells.
  if (ssh2.utils.parseKey(`${keyType} ${base64}`) instanceof Error)
    return fail('the key data is damaged or incomplete', 'Paste the whole line exactly as ssh-keyscan printed it, on one line.')
  return { fingerprint: fingerprintOf(blob), keyType, source }
}

function parseFingerprintLine(line: string, source: string, fail: Fail): HostKeyPin {
  // `ssh-keygen -l` prints `256 SHA256:… comment (ED25519)`; the bit count, comment and type are optional.
  const fields = line.split(/\s+/)
  const bits = /^\d+$/.test(fields[0] ?? '') ? Number(fields.shift()) : undefined
  const match = FINGERPRINT.exec(fields[0] ?? '')
  if (!match?.[1] || Buffer.from(match[1], 'base64').length !== 32)
    return fail('the SHA256: fingerprint is malformed (expected 43 base64 characters after "SHA256:")', 'Copy it again from `ssh-keygen -lf` output, or paste the `ssh-keyscan` line instead.')
  const typeName = /^\(([A-Z0-9-]+)\)$/.exec(fields[fields.length - 1] ?? '')?.[1]
  let keyType: string | undefined
  if (fields.length > 1 && typeName !== undefined) {
    const toType = KEYGEN_TYPE_NAMES[typeName]
    if (toType === undefined)
      return fail(`unsupported key type "${typeName}"; supported: ED25519, ECDSA, RSA, DSA`, 'Pin one of the host\'s plain keys: `ssh-keyscan -t ed25519 -p PORT HOST | ssh-keygen -lf -`.')
    keyType = toType(bits)
  }
  return { fingerprint: `SHA256:${match[1]}`, keyType, source }
}

function isKeyTypeLike(word: string): boolean {
  return word in KEY_TYPES || /^(ssh|ecdsa|sk|rsa)-[a-z0-9@.-]+$/.test(word)
}

function looksLikeBase64(word: string | undefined): boolean {
  return word !== undefined && word.length >= 16 && /^[A-Za-z0-9+/=]+$/.test(word)
}

function shorten(text: string, max = SHOWN_LINE_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
