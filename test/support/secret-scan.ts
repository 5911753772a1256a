// The secret scan of issue 17: every secret the tests generated, looked for in everything the tests
// produced (action logs, job summaries, output files, the runner's captured stdout and stderr) in
// clear, base64 at each of its three alignments, URL-encoded, escaped as a workflow command or a JSON
// string would carry it, and split across lines. A hit names the file and the secret's label, never
// the secret.
//
// Pure functions here; the registry that collects secrets and outputs across vitest's processes is
// secret-registry.ts, and secret-scan-reporter.ts runs the scan when the run ends.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestSecret {
  /** What it is ("sandbox dokku private key", "mask from backup-run"), shown in a hit. */
  label: string
  value: string
}

export interface SecretHit {
  /** The file (or other source) the secret was found in. */
  where: string
  label: string
  /** How it was written there: clear, base64 (offset n), url-encoded, … */
  encoding: string
}

/** Shorter fragments would match by chance in a large output. */
export const MIN_FRAGMENT = 8

interface Form {
  encoding: string
  text: string
}

/**
 * The forms in which a secret would show up. Base64 of a secret inside longer data depends on its
 * offset modulo 3: for each offset the characters fully determined by the secret's bytes are kept.
 */
export function secretForms(value: string): Form[] {
  const forms: Form[] = []
  const add = (encoding: string, text: string) => {
    if (text.length >= MIN_FRAGMENT && !forms.some((f) => f.text === text)) forms.push({ encoding, text })
  }
  const parts = [value, ...(value.includes('\n') ? value.split(/\r?\n/).map((line) => line.trim()) : [])]
  for (const [index, part] of parts.entries()) {
    const suffix = index === 0 ? '' : ' (one line of it)'
    add(`clear${suffix}`, part)
    add(`url-encoded${suffix}`, encodeURIComponent(part))
    add(`form-encoded${suffix}`, encodeURIComponent(part).replace(/%20/g, '+'))
    add(`json-escaped${suffix}`, JSON.stringify(part).slice(1, -1))
    add(`workflow-command-escaped${suffix}`, part.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'))
    const bytes = Buffer.from(part, 'utf8')
    for (let offset = 0; offset < 3; offset++) {
      const padded = Buffer.concat([Buffer.alloc(offset), bytes])
      const encoded = padded.toString('base64').replace(/=+$/, '')
      // Drop the characters that mix in the padding bytes before and whatever follows after.
      const start = Math.ceil((offset * 8) / 6)
      const end = Math.floor((padded.length * 8) / 6)
      const core = encoded.slice(start, end)
      add(`base64 (offset ${offset})${suffix}`, core)
      add(`base64url (offset ${offset})${suffix}`, core.replace(/\+/g, '-').replace(/\//g, '_'))
    }
  }
  return forms
}

/** The text as written, and the text with its line breaks (and the indentation after them) removed. */
function haystacks(text: string): { text: string; how: string }[] {
  const joined = text.replace(/\r?\n[ \t]*/g, '')
  return joined === text ? [{ text, how: '' }] : [{ text, how: '' }, { text: joined, how: ', split across lines' }]
}

export function scanText(where: string, text: string, secrets: readonly TestSecret[], formsOf: (s: TestSecret) => Form[] = (s) => secretForms(s.value)): SecretHit[] {
  const hits: SecretHit[] = []
  const stacks = haystacks(text)
  for (const secret of secrets) {
    found: for (const form of formsOf(secret))
      for (const stack of stacks)
        if (stack.text.includes(form.text)) {
          hits.push({ where, label: secret.label, encoding: `${form.encoding}${stack.how}` })
          break found
        }
  }
  return hits
}

/** Scans every file under `dir` (recursively). */
export function scanDirectory(dir: string, secrets: readonly TestSecret[]): { files: number; hits: SecretHit[] } {
  const cache = new Map<TestSecret, Form[]>()
  const formsOf = (s: TestSecret) => {
    let forms = cache.get(s)
    if (!forms) cache.set(s, (forms = secretForms(s.value)))
    return forms
  }
  let files = 0
  const hits: SecretHit[] = []
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) {
        files++
        hits.push(...scanText(full, readFileSync(full, 'utf8'), secrets, formsOf))
      }
    }
  }
  walk(dir)
  return { files, hits }
}

/** One line a hit, with no secret in it. */
export function describeHits(hits: readonly SecretHit[]): string {
  return hits.map((hit) => `  ${hit.where}: ${hit.label} (${hit.encoding})`).join('\n')
}
