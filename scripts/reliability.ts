// npm run reliability: runs the tests that prove the promises of RELIABILITY.md, collects the counts
// they record (test/support/reliability.ts) and prints the table of figures.
//
//   npm run reliability                      the whole suite (so the secret scan covers all of its
//                                            output), 3 hostile samples per input and category on the host,
//                                            200 soak cycles
//   npm run reliability -- --bounded         only the reliability tests, 1 sample per input and category,
//                                            6 soak cycles (CI-sized)
//   npm run reliability -- --write           also rewrites the figures block of RELIABILITY.md
//   npm run reliability -- --bounded --only F[,F…] --write
//                                            runs only those test files and rewrites only the rows
//                                            of the promises they prove (the others are kept as they are)
//   node scripts/reliability.ts --report F   prints the table from a results file (CI: after npm test);
//                                            with --write, also writes it into RELIABILITY.md
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ReliabilityRecord {
  promise: string
  case: string
  tried: number
  held: number
  details?: Record<string, number>
}

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const bounded = args.includes('--bounded')
const write = args.includes('--write')
const reportIndex = args.indexOf('--report')
const onlyIndex = args.indexOf('--only')
const only = onlyIndex === -1 ? undefined : (args[onlyIndex + 1] ?? '').split(',').filter((f) => f !== '')

/** The promises, in RELIABILITY.md's order, with the test that proves each. */
const PROMISES: Record<string, { promise: string; test: string }> = {
  'hostile-input': {
    promise: 'Hostile input is refused before connecting (naming the input, showing no secret) or lands byte for byte where it belongs',
    test: 'test/unit/reliability/hostile-inputs.test.ts'
  },
  'hostile-input-on-host': {
    promise: 'Accepted hostile values reach the host byte for byte, and no other command runs',
    test: 'test/integration/reliability/hostile-argv.test.ts'
  },
  'no-file-outside-sandbox': {
    promise: 'No injected command creates a file outside the sandbox',
    test: 'test/integration/reliability/hostile-argv.test.ts'
  },
  'secret-scan-catches': {
    promise: 'The secret scan finds a planted secret in every encoding',
    test: 'test/unit/reliability/secret-scan.test.ts'
  },
  's3-faults': {
    promise: 'S3 answering 500/503 (with and without Retry-After), slowly, or closing mid-part: transient faults retried and the backup completes; persistent ones fail clearly, with no manifest and the previous backup still the newest; a dead run\'s upload aborted by a later run',
    test: 'test/integration/reliability/s3-faults.test.ts'
  },
  'killed-mid-flight': {
    promise: 'Action killed (SIGKILL) or SSH connection cut mid-backup, mid-restore, mid-deploy, mid-config change or mid-migration, services stopped or the disk full under a backup: nothing taken for complete that is not, and the next run recovers',
    test: 'test/integration/reliability/killed-mid-*.test.ts'
  },
  'failed-run-ends': {
    promise: 'A failed run ends within seconds of its error, exit 1 with the error named, and no SSH session left on the host (bucket missing, credentials refused, upload refused, key invalid, remote command failing, source missing, host version unsupported, build failing, a recipe failing)',
    test: 'test/integration/failed-run-ends.test.ts'
  },
  'failing-test-leaves-nothing': {
    promise: 'A failing test run leaves no sandbox process or directory behind (a failed assertion or a timed-out test with a session in flight: torn down before the runner exits; the runner killed: gone within 30 s)',
    test: 'test/integration/sandbox/failing-run-leaves-nothing.test.ts'
  },
  'host-key-changed': {
    promise: 'A changed host key is refused before authentication, naming both fingerprints, with no command sent, in every action',
    test: 'test/integration/reliability/host-key.test.ts'
  },
  'secrets-never-leak': {
    promise: "No generated secret appears in the tests' output (logs, summaries, output files, stdout/stderr)",
    test: 'test/support/secret-scan-reporter.ts (over the run)'
  },
  concurrency: {
    promise: 'Work at once: many commands over one SSH connection, two deploys of one app, two backups of one source, a deploy during a backup, 20 apps in one run',
    test: 'test/integration/reliability/concurrency-*.test.ts'
  },
  soak: {
    promise: 'Soak: deploy / backup / verify cycles all succeed',
    test: 'test/integration/reliability/soak-cycles.test.ts'
  },
  'soak-leaks': {
    promise: 'After the soak: no process, file descriptor, temporary file or lock left (4 checks)',
    test: 'test/integration/reliability/soak-cycles.test.ts'
  }
}

function summarise(records: readonly ReliabilityRecord[]): string {
  const rows: string[] = ['| Promise | Test | Tried | Held |', '|---|---|---:|---:|']
  const byPromise = new Map<string, ReliabilityRecord[]>()
  for (const record of records) byPromise.set(record.promise, [...(byPromise.get(record.promise) ?? []), record])
  const order = [...Object.keys(PROMISES), ...[...byPromise.keys()].filter((p) => !(p in PROMISES))]
  for (const key of order) {
    const group = byPromise.get(key)
    if (!group) continue
    const tried = group.reduce((n, r) => n + r.tried, 0)
    const held = group.reduce((n, r) => n + r.held, 0)
    const known = PROMISES[key]
    rows.push(`| ${known?.promise ?? key} | \`${known?.test ?? '?'}\` | ${tried.toLocaleString('en')} | ${held.toLocaleString('en')} |`)
  }
  return rows.join('\n')
}

function details(records: readonly ReliabilityRecord[]): string {
  return records
    .map((r) => `  ${r.promise} · ${r.case}: ${r.held}/${r.tried}${r.details ? ` (${Object.entries(r.details).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`)
    .join('\n')
}

/**
 * `--only`: the new block's rows replace the rows of the same promise in the current block; the
 * current block's other rows stay, in their place, and the new promises' rows follow them.
 */
function mergeRows(current: string, fresh: string): string {
  const rowsOf = (block: string) => block.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Promise |'))
  const promiseOf = (row: string) => row.split(' | ')[0]
  // Only the rows of the tests that ran: the secret scan's row covers a whole run, not these files.
  const ran = (row: string) => (only ?? []).some((file) => row.includes(`\`${file}\``))
  const freshRows = new Map(rowsOf(fresh).filter(ran).map((row) => [promiseOf(row), row]))
  const kept = rowsOf(current).map((row) => freshRows.get(promiseOf(row)) ?? row)
  const added = [...freshRows.values()].filter((row) => !kept.includes(row))
  const table = ['| Promise | Test | Tried | Held |', '|---|---|---:|---:|', ...kept, ...added].join('\n')
  return fresh.replace(/\| Promise \|[\s\S]*?(?=\n\n<!-- figures:end)/, table)
}

function readRecords(file: string): ReliabilityRecord[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ReliabilityRecord)
}

function report(records: readonly ReliabilityRecord[], command: string): string {
  const table = summarise(records)
  process.stdout.write(`\n${table}\n\nPer case:\n${details(records)}\n`)
  return `<!-- figures:start (written by \`npm run reliability -- [--bounded] --write\`; do not edit by hand) -->\n\nFigures of \`${command}\`, run on ${new Date().toISOString().slice(0, 10)}:\n\n${table}\n\n<!-- figures:end -->`
}

function writeFigures(block: string): void {
  const path = join(root, 'RELIABILITY.md')
  const doc = readFileSync(path, 'utf8')
  const updated = doc.replace(/<!-- figures:start[\s\S]*?<!-- figures:end -->/, (current: string) => (only ? mergeRows(current, block) : block))
  if (updated === doc && !doc.includes(block)) throw new Error('RELIABILITY.md has no <!-- figures:start … figures:end --> block')
  writeFileSync(path, updated)
  process.stdout.write('\nRELIABILITY.md: figures written.\n')
}

if (reportIndex !== -1) {
  const block = report(readRecords(args[reportIndex + 1] as string), 'npm test` — as `.ci/run` runs it, with RELIABILITY_RESULTS set, then `node scripts/reliability.ts --report <file> --write')
  if (write) writeFigures(block)
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'reliability-'))
const results = join(dir, 'results.jsonl')
const files = only ?? (bounded ? ['test/unit/reliability', 'test/integration/reliability'] : [])
const child = spawnSync('vitest', ['run', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    RELIABILITY_RESULTS: results,
    HOSTILE_SAMPLES_PER_CATEGORY: process.env.HOSTILE_SAMPLES_PER_CATEGORY ?? (bounded ? '1' : '3'),
    SOAK_CYCLES: process.env.SOAK_CYCLES ?? (bounded ? '6' : '200')
  }
})
const records = readRecords(results)
rmSync(dir, { recursive: true, force: true })
const command = bounded ? 'npm run reliability -- --bounded' : 'npm run reliability'
// (with --only, the rows of the other promises keep the figures of the last run of the same command)
const block = report(records, command)
if (write) writeFigures(block)
process.exit(child.status ?? 1)
