import * as core from '@actions/core'

// One registry for every secret the process knows: inputs, derived DSNs, generated keys.
// Registering masks the value on the runner (core.setSecret) and lets our own logger,
// errors and summaries redact it locally, where no runner masks anything.
const known = new Set<string>()

const MIN_SECRET_LENGTH = 4

export function registerSecret(value: string | undefined): void {
  if (!value) return
  // Also the trimmed value and each line of a multi-line secret (a private key): those are
  // the forms in which it can show up in a log line.
  const forms = [value, value.trim(), ...(value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 8) : [])]
  for (const form of forms) {
    if (form.length < MIN_SECRET_LENGTH || known.has(form)) continue
    known.add(form)
    core.setSecret(form)
  }
}

export function redact(text: string): string {
  if (known.size === 0 || !text) return text
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join('***')
  }
  return out
}

/**
 * Config keys whose values are treated as credentials: any key whose name contains one of these
 * words (case-insensitive). The runner masks values that came from `${{ secrets.* }}` on its own;
 * this rule covers what it cannot know: a credential typed into the workflow, read from a file or
 * built from a variable. Over-masking is the safe side: `public-config-keys` lifts it per key.
 */
export const CREDENTIAL_KEY_WORDS = ['SECRET', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'TOKEN', 'KEY', 'PRIVATE', 'CREDENTIAL', 'DSN', 'SIGNER', 'SALT'] as const

const CREDENTIAL_KEY = new RegExp(CREDENTIAL_KEY_WORDS.join('|'), 'i')

export function looksLikeCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key)
}

/**
 * Registers the password of every `scheme://user:password@` URL in `value`, and the value itself
 * when it has one. Returns whether it found one. A password in a URL is never public, whatever
 * its key is called.
 */
export function registerUrlCredentials(value: string): boolean {
  let found = false
  // The lookbehind starts a scheme only where one can start: without it a long run of letters is
  // re-scanned from every position (quadratic: 20 s for a 128 KiB value).
  for (const match of value.matchAll(/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/gi)) {
    found = true
    registerSecret(match[1])
    try {
      registerSecret(decodeURIComponent(match[1] as string))
    } catch {
      // not percent-encoded: the raw form is registered already
    }
  }
  if (found) registerSecret(value)
  return found
}

/** A PEM block holding a private key (`-----BEGIN … PRIVATE KEY-----`). */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/

export interface ConfigMasking {
  /** Keys whose values are always masked (`secret-config-keys`). */
  secretKeys: ReadonlySet<string>
  /** Keys whose values are not masked by the name rule (`public-config-keys`). */
  publicKeys: ReadonlySet<string>
}

/**
 * Masks the values of an app's config that are secret, and only those, so that public values
 * (the app's URL, a feature flag) stay readable in plans, Dokku's output and summaries:
 * - a key listed as secret, or whose name looks like a credential (unless listed as public);
 * - a private key block, whatever the key;
 * - the password inside a URL (`postgres://u:pw@…`), whatever the key, public or not.
 * Returns the keys whose whole value is masked.
 */
export function registerConfigSecrets(config: ReadonlyMap<string, string>, masking: ConfigMasking): string[] {
  const masked: string[] = []
  for (const [key, value] of config) {
    const hasUrlPassword = registerUrlCredentials(value)
    const secret = masking.secretKeys.has(key) || PRIVATE_KEY_BLOCK.test(value) || (!masking.publicKeys.has(key) && looksLikeCredentialKey(key))
    if (secret) registerSecret(value)
    if (secret || hasUrlPassword) masked.push(key)
  }
  return masked
}

/** For tests: forget every registered secret. */
export function clearSecretsForTest(): void {
  known.clear()
}
