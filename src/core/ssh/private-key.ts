import ssh2 from 'ssh2'
import type { ParsedKey } from 'ssh2'
import { ConfigurationError } from '../errors.js'

const { parseKey } = ssh2.utils

/**
 * Checks, before any connection, that the private key input holds a usable private key and
 * that the passphrase input opens it. Every message names the inputs and the fix and never
 * contains the key or the passphrase.
 */
export function checkPrivateKey(keyInput: string, passphraseInput: string, key: string, passphrase: string | undefined): void {
  const text = key.trim()
  const fail = (problem: string, fix: string): never => {
    throw new ConfigurationError(`Input "${keyInput}" ${problem}. ${fix}`, keyInput)
  }
  if (text === '') return fail('is empty', 'Pass the private key file\'s whole content, e.g. `ssh-private-key: ${{ secrets.DOKKU_SSH_KEY }}`.')
  if (isPublicKeyText(text)) return fail('holds a public key, not a private key', PUBLIC_KEY_FIX)

  // Parsing without the passphrase first tells an encrypted key apart from a damaged one.
  const plain = parseKey(text)
  const encrypted = plain instanceof Error && /no passphrase given/i.test(plain.message)
  if (encrypted && !passphrase)
    return fail(
      `holds a passphrase-protected key, but input "${passphraseInput}" is empty`,
      `Store the passphrase as a secret and pass it as \`${passphraseInput}\`, or use a deploy key without a passphrase.`
    )
  const parsed = encrypted ? parseKey(text, passphrase) : plain
  if (parsed instanceof Error) {
    const unsupported = unsupportedReason(parsed.message)
    if (unsupported) return fail(unsupported, UNSUPPORTED_FIX)
    if (encrypted)
      return fail(`could not be decrypted with the passphrase in input "${passphraseInput}" (wrong passphrase?)`, `Check that \`${passphraseInput}\` holds this key's passphrase.`)
    const { problem, fix } = notAKeyProblem(text)
    return fail(problem, fix)
  }
  const first = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed
  if (first === undefined) return fail('holds no key', NOT_A_KEY_FIX)
  if (!first.isPrivateKey() || first.getPrivatePEM() === null) return fail('holds a public key, not a private key', PUBLIC_KEY_FIX)
}

const PUBLIC_KEY_FIX =
  'Use the private key file (the one without ".pub", starting with "-----BEGIN OPENSSH PRIVATE KEY-----"); ' +
  'its public half is what goes on the host with `dokku ssh-keys:add`.'

const NOT_A_KEY_FIX =
  'Paste the private key file exactly as written by ssh-keygen, including the "-----BEGIN … PRIVATE KEY-----" and "-----END … PRIVATE KEY-----" lines and every line break. ' +
  'Common causes: the secret was stored base64-encoded, the BEGIN/END lines were left out, or the line breaks were lost (pasted as one line or with literal "\\n").'

const UNSUPPORTED_FIX =
  'Use an ed25519 key (`ssh-keygen -t ed25519 -f deploy_key`), or convert this one to the OpenSSH format with `ssh-keygen -p -f <key file>`.'

function isPublicKeyText(text: string): boolean {
  return (
    /^-----BEGIN (RSA |EC |DSA )?PUBLIC KEY-----/.test(text) ||
    /^---- BEGIN SSH2 PUBLIC KEY ----/.test(text) ||
    // An OpenSSH public key line, possibly with authorized_keys options in front.
    /^(\S+\s+)?(ssh|ecdsa|sk)-[a-z0-9@.-]+\s+AAAA[A-Za-z0-9+/=]+(\s.*)?$/s.test(text)
  )
}

function unsupportedReason(message: string): string | undefined {
  const type = /Unsupported OpenSSH (?:private )?key type: (\S+)/.exec(message)?.[1]
  if (type !== undefined) return `holds a key of a type this action cannot use (${/^[\w@.-]{1,64}$/.test(type) ? type : 'unknown'})`
  if (/Unsupported (cipher|kdf)|Cipher \(.*\) not supported/i.test(message)) return 'holds a key encrypted with a cipher this action cannot open'
  if (/Unsupported OpenSSH key magic/.test(message)) return 'holds an OpenSSH key of a newer, unsupported version'
  return undefined
}

function notAKeyProblem(text: string): { problem: string; fix: string } {
  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text))
    return { problem: 'holds a PKCS#8 key ("BEGIN PRIVATE KEY"), a format this action cannot read', fix: UNSUPPORTED_FIX }
  if (/PuTTY-User-Key-File/.test(text))
    return { problem: 'holds a PuTTY key that could not be read', fix: 'Export it in OpenSSH format (PuTTYgen: Conversions → Export OpenSSH key).' }
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    if (!text.includes('\n') || text.includes('\\n')) return { problem: 'holds a private key whose line breaks were lost', fix: NOT_A_KEY_FIX }
    return { problem: 'holds a private key that is damaged or cut short', fix: NOT_A_KEY_FIX }
  }
  return { problem: 'does not hold an SSH private key', fix: NOT_A_KEY_FIX }
}
