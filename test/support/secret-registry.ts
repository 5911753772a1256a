// Collects, across vitest's worker processes, the secrets the tests generate and the outputs they
// capture, in one directory per run (its path in DOKKU_STACK_SECRET_SCAN, set by the secret-scan
// reporter before any worker starts). Without that variable (a run without the reporter) both are
// no-ops. The directory is mode 0700 and removed when the scan is done.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestSecret } from './secret-scan.ts'

export const SCAN_DIR_VARIABLE = 'DOKKU_STACK_SECRET_SCAN'
const SECRETS_FILE = 'secrets.jsonl'
export const OUTPUTS_DIR = 'outputs'

let counter = 0

function scanDir(): string | undefined {
  const dir = process.env[SCAN_DIR_VARIABLE]
  return dir && existsSync(dir) ? dir : undefined
}

/** A secret a test generated (a key, a password, a DSN): the scan looks for it in every output. */
export function registerTestSecret(label: string, value: string | undefined): void {
  const dir = scanDir()
  // PEM armour lines ("-----BEGIN OPENSSH PRIVATE KEY-----") are masked with the key but are no secret.
  if (!dir || !value || value.trim().length < 8 || /^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(value.trim())) return
  appendFileSync(join(dir, SECRETS_FILE), `${JSON.stringify({ label, value } satisfies TestSecret)}\n`, { mode: 0o600 })
}

/**
 * Output a test captured (a log, a job summary, an output file, a process's stdout): kept for the
 * scan. `::add-mask::` lines are the runner's to consume and never shown: their values are
 * registered as secrets (everything an action masks is one) and the lines are left out.
 */
export function captureTestOutput(label: string, text: string): void {
  const dir = scanDir()
  if (!dir) return
  const shown: string[] = []
  for (const line of text.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line)
    if (mask) registerTestSecret(`a value ${label} masked`, unescapeCommand(mask[1] as string))
    else shown.push(line)
  }
  mkdirSync(join(dir, OUTPUTS_DIR), { recursive: true, mode: 0o700 })
  const name = `${label.replace(/[^A-Za-z0-9._-]+/g, '-')}-${process.pid}-${++counter}.txt`
  writeFileSync(join(dir, OUTPUTS_DIR, name), shown.join('\n'), { mode: 0o600 })
}

/** The masked values in `stdout` (::add-mask:: lines), for showing output files as the runner would. */
export function maskedValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^::add-mask::(.*)$/.exec(line)?.[1])
    .filter((value): value is string => value !== undefined && value.length >= 4)
    .map(unescapeCommand)
}

/** Replaces each masked value with ***, longest first, as the runner shows a log line. */
export function applyMasks(text: string, masks: readonly string[]): string {
  let out = text
  for (const secret of [...masks].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join('***')
  return out
}

export function readRegisteredSecrets(dir: string): TestSecret[] {
  const path = join(dir, SECRETS_FILE)
  if (!existsSync(path)) return []
  const seen = new Set<string>()
  const secrets: TestSecret[] = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue
    const secret = JSON.parse(line) as TestSecret
    if (seen.has(secret.value)) continue
    seen.add(secret.value)
    secrets.push(secret)
  }
  return secrets
}

function unescapeCommand(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
