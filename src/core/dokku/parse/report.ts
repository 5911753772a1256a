import { DokkuParseError } from '../errors.js'

/**
 * One `:report` (or `postgres:info`) as key → value, whatever form Dokku printed it in.
 *
 * Keys are the info flag without `--` and without the plugin prefix, with `.` written as `-`:
 * `--app-locked` → `locked`, `--ps-computed-restart-policy` → `computed-restart-policy`,
 * `--deployed` → `deployed`, `--status-web.1` → `status-web-1`, postgres `--dsn` → `dsn`.
 * That is the 0.38.8+ JSON key style; the text layouts and older JSON keys are mapped onto it,
 * except that text cannot tell `.` from `-` (docs/dokku-contract.md#reports turns both into spaces), hence the rewrite.
 */
export type Report = Readonly<Record<string, string>>

/** How JSON report keys look (docs/dokku-contract.md#reports, #versions): `legacy` = flag without `--`; `stripped` = without `--<plugin>-` too. */
export type ReportKeyStyle = 'legacy' | 'stripped'

/**
 * Parses the text layouts: Go's `ReportSingleApp` (7 spaces, `Key:` right-padded to
 * max(longest flag, 31), value) and the bash `printf "%-30s %-25s"` / postgres-redis `%-20s`
 * layouts (docs/dokku-contract.md#reports, #services, #redis). Header lines (`=====> …`) are skipped; padding
 * and trailing spaces are dropped, so an empty value reads as ''.
 */
export function parseReportText(text: string, prefix: string | null): Report {
  const report: Record<string, string> = {}
  for (const line of text.split('\n')) {
    if (/^\s*=====> /.test(line)) continue
    const match = /^\s+([^:\s][^:]*):(.*)$/.exec(line)
    if (!match) continue
    const label = (match[1] as string).trim()
    const flag = label.charAt(0).toLowerCase() + label.slice(1).replaceAll(' ', '-')
    report[canonicalKey(stripPrefix(flag, prefix))] = (match[2] as string).trim()
  }
  return report
}

/** Parses `X:report <app> --format json`: one object of strings (docs/dokku-contract.md#reports). */
export function parseReportJson(text: string, prefix: string, style: ReportKeyStyle): Report {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new DokkuParseError('a JSON report', text, 'expected one JSON object')
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new DokkuParseError('a JSON report', text, 'expected one JSON object')
  const entries = Object.entries(data as Record<string, unknown>)
  const keys = new Set(entries.map(([key]) => key))
  const report: Record<string, string> = {}
  for (const [key, value] of entries) {
    let name: string
    if (style === 'legacy') name = stripPrefix(key, prefix)
    else {
      // 0.38.8+ Go reports emit the legacy `<plugin>-x` key beside `x`: keep one of the two.
      const rest = stripPrefix(key, prefix)
      if (rest !== key && keys.has(rest)) continue
      name = key
    }
    report[canonicalKey(name)] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  return report
}

/**
 * The value printed for a single info flag (`X:report <app> --<flag>`, `postgres:info <svc> --<flag>`):
 * the raw value plus `\n`, or nothing at all for an empty value in bash reports (docs/dokku-contract.md#reports).
 */
export function parseSingleValue(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text
}

function stripPrefix(key: string, prefix: string | null): string {
  return prefix !== null && key.startsWith(`${prefix}-`) ? key.slice(prefix.length + 1) : key
}

function canonicalKey(key: string): string {
  return key.replaceAll('.', '-')
}
