// The migration benchmark (issue 15): backup-run `mode: migrate` against the direct pipes it
// replaces, between the same two servers, in one run, at two sizes, alternating the order:
//   database  direct   pg_dump -Fc <source> | pg_restore -cO --if-exists -d <fresh target>
//             direct-z1  the same with pg_dump -Z1, the level migrate dumps at (the pipe at its best)
//             migrate  backup-run (a bundle built from src/ into a temp dir) with only the database
//                      inputs: kubectl stand-in → pg_dump in the "pod" → the runner → SSH →
//                      postgres:import into a fresh service, with the verification it always does
//                      (row counts and large objects of the source before and after, of the target)
//   uploads   direct   tar -c -f - -C <tree> . | ssh root@host 'tar -x -f - -C <fresh dir>'
//             direct-verified  the same, then the check migrate makes done by hand: every file's
//                      SHA-256 on both sides (the two `find -exec sha256sum` at once), compared
//             migrate  backup-run with only the uploads inputs: tar over the kubectl stand-in →
//                      storage:exec tar into a fresh storage entry, with SHA-256 of every file
//                      computed on both sides after it (names and sizes before: the entry is new)
// Data that does not compress to nothing: random bytes (bytea and files), text, a few large rows,
// one large file (100 MB at the larger size, among 1 GiB of files). It prints a table and writes
// bench/migrate-results.json.
//
//   npm run bench:migrate                         # sizes small,medium,large; 2 rounds each
//   npm run bench:migrate -- --sizes small --rounds 1
//   … -- --variants files-direct,files-migrate      # a subset while iterating
//   … -- --trace /tmp/t --cpu-prof /tmp/p            # where the time goes: each migrate run's log with
//                                                   # every line stamped (ms since start), and a V8 profile
//
// Needs root (the sandbox host runs sshd and PostgreSQL).
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startSandbox, type Sandbox } from '../test/sandbox/harness/sandbox.ts'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const MIB = 1024 * 1024

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback
}

/** Per size: random bytea MiB, text MiB, large rows (1 MiB each), files (count, MiB in all) and the large file's MiB. */
const SIZES = {
  small: { byteaMiB: 8, textMiB: 4, largeRows: 4, files: 200, filesMiB: 8, largeFileMiB: 10 },
  medium: { byteaMiB: 48, textMiB: 16, largeRows: 8, files: 1000, filesMiB: 40, largeFileMiB: 100 },
  large: { byteaMiB: 160, textMiB: 48, largeRows: 16, files: 2000, filesMiB: 924, largeFileMiB: 100 }
} as const
type Size = keyof typeof SIZES
const sizes = arg('sizes', 'small,medium,large').split(',') as Size[]
const rounds = Number(arg('rounds', '2'))
/** `--trace <dir>`: each migrate run's log, every line stamped with the ms since the action started. */
const traceDir = arg('trace', '')
/** `--cpu-prof <dir>`: a V8 CPU profile of each migrate run (the runner's process). */
const cpuProfDir = arg('cpu-prof', '')
const ALL_VARIANTS = ['db-direct', 'db-direct-z1', 'db-migrate', 'files-direct', 'files-direct-verified', 'files-migrate'] as const
type Variant = (typeof ALL_VARIANTS)[number]
/** `--variants db-direct,db-migrate,…`: a subset, while iterating (the default is all of them). */
const only = arg('variants', ALL_VARIANTS.join(',')).split(',')
interface Sample {
  variant: Variant
  size: Size
  round: number
  seconds: number
  /** migrate variants: the same step run once more against the copied target (nothing to copy: what observing and verifying cost). */
  convergedSeconds?: number
  load: number
}

function timed(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; trace?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', options.trace ? 'pipe' : 'ignore', 'pipe'] })
    if (options.trace) {
      // Each line of the action's log with the milliseconds since the spawn: where the time goes.
      const trace = options.trace
      let partial = ''
      child.stdout?.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n')
        partial = lines.pop() ?? ''
        const at = (performance.now() - started).toFixed(0).padStart(7)
        appendFileSync(trace, lines.map((line) => `${at} ${line}\n`).join(''))
      })
    }
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${command} ${args.join(' ').slice(0, 300)} exited ${code}: ${stderr}`))))
  })
}

async function psql(url: string, sql: string): Promise<string> {
  return (await exec('psql', [url, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], { maxBuffer: 16 * MIB })).stdout
}

async function main(): Promise<void> {
  const box = await startSandbox()
  const work = mkdtempSync(join(tmpdir(), 'bench-migrate-'))
  const samples: Sample[] = []
  const notes: Record<string, unknown> = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version } }
  try {
    log('building backup-run from src/ into a temporary directory (ncc)')
    await exec(join(root, 'node_modules/.bin/ncc'), ['build', join(root, 'src/actions/backup-run/index.ts'), '-o', join(work, 'backup-run'), '-q'], { cwd: root, maxBuffer: 16 * MIB })
    const u = new URL(box.postgresAdminUrl)
    for (const size of sizes) {
      const spec = SIZES[size]
      const sourceDb = `bench_src_${size}`
      await psql(box.postgresAdminUrl, `drop database if exists ${sourceDb}`)
      await psql(box.postgresAdminUrl, `create database ${sourceDb}`)
      const sourceUrl = box.postgresAdminUrl.replace(/\/postgres$/, `/${sourceDb}`)
      await fillDatabase(sourceUrl, spec)
      const tree = join(work, `tree-${size}`)
      fillTree(tree, spec)
      const dbBytes = Number((await psql(sourceUrl, 'select pg_database_size(current_database())')).trim())
      notes[size] = { databaseMiB: round(dbBytes / MIB), files: spec.files + 1, filesMiB: spec.filesMiB + spec.largeFileMiB }
      const cluster = writeStandIn(work, size, { PGHOST: u.hostname, PGPORT: u.port, PGPASSWORD: decodeURIComponent(u.password) }, tree)

      const variants = ALL_VARIANTS.filter((v) => only.includes(v))
      for (let round = 1; round <= rounds; round++) {
        const order = variants.map((_, i) => variants[(i + round - 1) % variants.length] as Variant)
        for (const variant of order) {
          const tag = `${size}_${round}`
          const measured = await measure(variant, box, tag, sourceDb, sourceUrl, tree, cluster, work)
          const sample: Sample = { variant, size, round, ...measured, load: Number((loadavg()[0] ?? 0).toFixed(2)) }
          samples.push(sample)
          log(`${size} round ${round} ${variant}: ${sample.seconds.toFixed(2)} s${sample.convergedSeconds !== undefined ? ` (converged rerun ${sample.convergedSeconds.toFixed(2)} s)` : ''}, load ${sample.load}`)
        }
      }
      await psql(box.postgresAdminUrl, `drop database if exists ${sourceDb}`)
      rmSync(tree, { recursive: true, force: true })
    }
  } finally {
    await box.stop()
    rmSync(work, { recursive: true, force: true })
  }
  const summary = summarize(samples)
  writeFileSync(join(root, 'bench', 'migrate-results.json'), `${JSON.stringify({ at: new Date().toISOString(), notes, summary, samples }, null, 2)}\n`)
  console.log(JSON.stringify({ notes, summary }, null, 2))
}

async function fillDatabase(url: string, spec: (typeof SIZES)[Size]): Promise<void> {
  await psql(url, 'create extension if not exists pgcrypto')
  await psql(url, 'create table blobs (id int primary key, body bytea not null)')
  await psql(url, 'create table notes (id bigserial primary key, author text, body text, at timestamptz default now())')
  await psql(url, 'create table large_rows (id int primary key, body bytea)')
  // Random bytes: 1 KiB a row (gen_random_bytes gives at most 1024 at a time).
  await psql(url, `insert into blobs select g, gen_random_bytes(1024) from generate_series(1, ${spec.byteaMiB * 1024}) g`)
  // Text: hex of random bytes, ~200 bytes a row (compresses about 2:1, as real text does).
  await psql(url, `insert into notes (author, body) select 'user ' || (g % 977), encode(gen_random_bytes(100), 'hex') from generate_series(1, ${spec.textMiB * 5243}) g`)
  // A few large rows: 1 MiB of random bytes each.
  await psql(url, `insert into large_rows select g, (select string_agg(gen_random_bytes(1024), ''::bytea) from generate_series(1, 1024)) from generate_series(1, ${spec.largeRows}) g`)
  await psql(url, 'analyze')
}

function fillTree(dir: string, spec: (typeof SIZES)[Size]): void {
  mkdirSync(dir, { recursive: true })
  const each = Math.floor((spec.filesMiB * MIB) / spec.files)
  for (let i = 0; i < spec.files; i++) {
    const sub = join(dir, `d${i % 20}`)
    mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `upload ${i}.bin`), randomBytes(Math.max(1, Math.floor(each * (0.5 + ((i * 7919) % 100) / 100)))))
  }
  writeFileSync(join(dir, 'large.bin'), randomBytes(spec.largeFileMiB * MIB))
}

function writeStandIn(work: string, size: Size, env: Record<string, string>, tree: string): { kubectl: string; kubeconfig: string } {
  const dir = join(work, `k8s-${size}`)
  mkdirSync(dir, { recursive: true })
  const kubeconfig = `apiVersion: v1\nkind: Config\n# bench ${randomBytes(8).toString('hex')}\n`
  const configPath = join(dir, 'stand-in.json')
  writeFileSync(configPath, JSON.stringify({ kubeconfig, namespace: 'default', secrets: {}, pods: { 'postgres-0': { paths: {}, env }, 'deploy/uro': { paths: { '/app/uploads': tree }, env: {} } }, log: join(dir, 'calls.jsonl') }))
  const kubectl = join(dir, 'kubectl')
  writeFileSync(kubectl, `#!/bin/sh\nKUBECTL_STAND_IN_CONFIG='${configPath}' exec '${process.execPath}' --no-warnings '${join(root, 'test/support/kubectl-stand-in.ts')}' "$@"\n`, { mode: 0o755 })
  return { kubectl, kubeconfig }
}

async function measure(variant: Variant, box: Sandbox, tag: string, sourceDb: string, sourceUrl: string, tree: string, cluster: { kubectl: string; kubeconfig: string }, work: string): Promise<{ seconds: number; convergedSeconds?: number }> {
  const u = new URL(box.postgresAdminUrl)
  if (variant === 'db-direct' || variant === 'db-direct-z1') {
    const target = `bench_direct_${variant === 'db-direct' ? '' : 'z1_'}${tag}`
    await psql(box.postgresAdminUrl, `create database ${target}`)
    const targetUrl = box.postgresAdminUrl.replace(/\/postgres$/, `/${target}`)
    const level = variant === 'db-direct' ? '' : '-Z1 '
    const seconds = await timed('bash', ['-c', `set -o pipefail; pg_dump -Fc ${level}--no-owner --no-acl "$1" | pg_restore -cO --if-exists -d "$2"`, 'direct', sourceUrl, targetUrl])
    await psql(box.postgresAdminUrl, `drop database ${target}`)
    return { seconds }
  }
  if (variant === 'files-direct' || variant === 'files-direct-verified') {
    const target = join(box.root, 'storage', `${variant}-${tag}`)
    mkdirSync(target, { recursive: true })
    const ssh = ['ssh', '-i', box.users.root.privateKeyPath, '-p', String(box.port), '-o', `UserKnownHostsFile=${box.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', 'root@127.0.0.1']
      .map((a) => `'${a}'`)
      .join(' ')
    const sums = 'find . -type f -exec sha256sum {} + | LC_ALL=C sort'
    // The check by hand: both lists at once (process substitutions run side by side), then compared.
    const check = variant === 'files-direct' ? '' : ` && cmp <(cd "$1" && ${sums}) <(${ssh} "cd '$2' && ${sums}")`
    const script = `set -o pipefail; tar -c -f - -C "$1" . | ${ssh} "tar -x -f - -C '$2'"${check}`
    const seconds = await timed('bash', ['-c', script, 'direct', tree, target])
    rmSync(target, { recursive: true, force: true })
    return { seconds }
  }
  const common: Record<string, string> = {
    host: '127.0.0.1',
    'ssh-port': String(box.port),
    'ssh-private-key': box.users.dokku.privateKey,
    'ssh-host-key': box.knownHostsLine,
    mode: 'migrate',
    kubeconfig: cluster.kubeconfig,
    kubectl: cluster.kubectl,
    app: `bench-${tag.replace(/_/g, '-')}`
  }
  let inputs: Record<string, string>
  if (variant === 'db-migrate') {
    const service = `bench_migrate_${tag}`
    await box.ssh('dokku', `postgres:create ${service}`, { timeoutMs: 120_000 })
    inputs = { ...common, 'database-pod': 'postgres-0', 'database-name': sourceDb, 'database-user': u.username, 'database-service': service }
  } else {
    inputs = { ...common, 'uploads-pod': 'deploy/uro', 'uploads-storage': `bench-files-${tag.replace(/_/g, '-')}` }
  }
  const once = async (attempt: string, expected: string): Promise<number> => {
    const outputFile = join(work, `out-${variant}-${tag}-${attempt}`)
    writeFileSync(outputFile, '')
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, GITHUB_OUTPUT: outputFile, RUNNER_TEMP: work }
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
    const trace = traceDir ? join(traceDir, `${variant}-${tag}-${attempt}.log`) : undefined
    if (trace) mkdirSync(traceDir, { recursive: true })
    const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${variant}-${tag}-${attempt}.cpuprofile`] : []
    const seconds = await timed(process.execPath, [...profile, join(work, 'backup-run', 'index.js')], { env, ...(trace ? { trace } : {}) })
    const outputs = readFileSync(outputFile, 'utf8')
    const migration = JSON.parse(/migration<<(\S+)\n([\s\S]*?)\n\1/.exec(outputs)?.[2] ?? '{}') as { database?: { outcome: string }; uploads?: { outcome: string } }
    const outcome = variant === 'db-migrate' ? migration.database?.outcome : migration.uploads?.outcome
    if (outcome !== expected) throw new Error(`backup-run migrate (${variant}, ${attempt}) answered ${outcome}, not ${expected}: ${outputs}`)
    return seconds
  }
  const seconds = await once('copy', 'copied')
  return { seconds, convergedSeconds: await once('converged', 'up to date') }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function summarize(samples: Sample[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const camel = (variant: Variant) => variant.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
  for (const size of [...new Set(samples.map((s) => s.size))]) {
    const of = (variant: Variant) => samples.filter((s) => s.size === size && s.variant === variant)
    const measured = ALL_VARIANTS.filter((v) => of(v).length > 0)
    const med = (variant: Variant) => median(of(variant).map((s) => s.seconds))
    const min = (variant: Variant) => Math.min(...of(variant).map((s) => s.seconds))
    const ratios = (pick: (variant: Variant) => number) => {
      const ratio = (a: Variant, b: Variant) => (measured.includes(a) && measured.includes(b) ? round(pick(a) / pick(b)) : undefined)
      return { database: ratio('db-migrate', 'db-direct'), databaseAgainstZ1: ratio('db-migrate', 'db-direct-z1'), uploads: ratio('files-migrate', 'files-direct'), uploadsAgainstVerified: ratio('files-migrate', 'files-direct-verified') }
    }
    out[size] = {
      medianSeconds: Object.fromEntries(measured.map((v) => [camel(v), round(med(v))])),
      medianConvergedSeconds: Object.fromEntries(measured.filter((v) => v.endsWith('migrate')).map((v) => [camel(v), round(median(of(v).map((s) => s.convergedSeconds ?? 0)))])),
      minSeconds: Object.fromEntries(measured.map((v) => [camel(v), round(min(v))])),
      ratioOfMedians: ratios(med),
      ratioOfMinimums: ratios(min)
    }
  }
  return out
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}

function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

await main()
