import { DokkuParseError } from '../errors.js'
import type { Report } from './report.js'

export const DOCKER_OPTION_PHASES = ['build', 'deploy', 'run'] as const
export type DockerOptionPhase = (typeof DOCKER_OPTION_PHASES)[number]

/** The stored docker options per phase, each entry one option with its value, as shell words. */
export type DockerOptions = Readonly<Record<DockerOptionPhase, readonly (readonly string[])[]>>

/**
 * Reads the docker-options report (docs/dokku-contract.md#docker-options-report). The JSON report of recent 0.38 releases
 * carries `<phase>-list` arrays with one stored entry each; otherwise the `<phase>` value is the
 * entries joined by spaces, which is split back into entries at flag boundaries, as
 * `docker-options:add` itself splits them.
 */
export function parseDockerOptionsReport(report: Report): DockerOptions {
  return { build: dockerOptionEntries(report, 'build'), deploy: dockerOptionEntries(report, 'deploy'), run: dockerOptionEntries(report, 'run') }
}

/** The entries stored under one report key: a phase, or `deploy-<process>` for per-process options (0.38+). */
export function dockerOptionEntries(report: Report, key: string): string[][] {
  const list = report[`${key}-list`]
  if (list === undefined) return splitDockerOptionEntries(report[key] ?? '')
  let entries: unknown
  try {
    entries = JSON.parse(list)
  } catch {
    throw new DokkuParseError(`the docker-options ${key}-list`, list, 'expected a JSON array')
  }
  if (entries === null) return []
  if (!Array.isArray(entries)) throw new DokkuParseError(`the docker-options ${key}-list`, list, 'expected a JSON array')
  return entries.map((entry) => splitShellWords(String(entry)))
}

/**
 * Splits an option string into entries the way `docker-options:add` stores them: shell words
 * (quotes honoured, nothing expanded), a new entry at every word that starts with `-`.
 * `"--label a=b --label c=d"` → `[["--label","a=b"],["--label","c=d"]]`.
 */
export function splitDockerOptionEntries(text: string): string[][] {
  const entries: string[][] = []
  for (const word of splitShellWords(text)) {
    const current = entries.at(-1)
    if (word.startsWith('-') || current === undefined) entries.push([word])
    else current.push(word)
  }
  return entries
}

/** POSIX shell word splitting without any expansion: single quotes, double quotes and backslashes. */
export function splitShellWords(text: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | null = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote === "'") {
      if (c === "'") quote = null
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = null
      else if (c === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] as string)) word += text[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (quote !== null) throw new DokkuParseError('docker options', text, 'an unbalanced quote')
  if (inWord) words.push(word)
  return words
}

/** Whether `entry` (shell words) is stored in `entries`, comparing word by word so quoting differences do not matter. */
export function hasDockerOption(entries: readonly (readonly string[])[], entry: readonly string[]): boolean {
  return entries.some((stored) => stored.length === entry.length && stored.every((word, i) => word === entry[i]))
}
