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

/** For tests: forget every registered secret. */
export function clearSecretsForTest(): void {
  known.clear()
}
