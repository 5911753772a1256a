// The backup-run benchmark: pgbench databases at scale 10 and 100 on the sandbox host, backed up
// to the sandbox S3 server three ways in one run, alternating their order:
//   dump-alone   ssh dokku@host postgres:export <svc> > /dev/null           (OpenSSH; the limit)
//   rclone       ssh … postgres:export <svc> | gzip | rclone rcat s3:…       (Debian's gzip and rclone)
//   backup-run   the committed bundle dist/backup-run/index.js, as a runner spawns it
//                (zstd + age to a recipient + multipart upload + manifest with the row count of
//                every table, counted on the runner from the archive as it streams)
//   backup-run (row-counts: false)   the same without counting rows
// It prints a table and writes bench/results.json; BENCHMARKS.md explains the method.
//
//   npm run bench                       # scales 10 and 100, 3 runs each
//   npm run bench -- --scales 10 --runs 1
//
// Needs root (the sandbox host runs sshd and PostgreSQL), pgbench, rclone, gzip, age-keygen.
import { execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { startSandbox, type Sandbox } from '../test/sandbox/harness/sandbox.ts'

const exec = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const BUCKET = 'bench'
const MIB = 1024 * 1024

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback
}
const scales = arg('scales', '10,100').split(',').map(Number)
const runs = Number(arg('runs', '3'))

type Variant = 'dump-alone' | 'rclone' | 'backup-run' | 'backup-run-no-counts'

interface Sample {
  variant: Variant
  scale: number
  run: number
  seconds: number
  storedBytes?: number
  dumpBytes?: number
  peakRssKiB?: number
  /** CPU time (user + system) of the action process. */
  cpuSeconds?: number
  /** 1-minute load average when the sample ended: other work on the machine shows here. */
  load: number
}

function sshArgs(box: Sandbox): string[] {
  return ['-i', box.users.dokku.privateKeyPath, '-p', String(box.port), '-o', `UserKnownHostsFile=${box.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', 'dokku@127.0.0.1']
}

function timed(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdout?: number | 'ignore' } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${command} ${args.join(' ').slice(0, 200)} exited ${code}: ${stderr}`))))
  })
}

async function main(): Promise<void> {
  const box = await startSandbox()
  const work = mkdtempSync(join(tmpdir(), 'bench-'))
  // A copy of the committed bundle: a rebuild of dist/ during the run (which empties it first)
  // must not pull the action from under the benchmark.
  cpSync(join(root, 'dist', 'backup-run'), join(work, 'backup-run'), { recursive: true })
  const s3 = new S3Client({ endpoint: box.s3.directEndpoint, region: box.s3.region, forcePathStyle: true, credentials: { accessKeyId: box.s3.accessKeyId, secretAccessKey: box.s3.secretAccessKey } })
  const samples: Sample[] = []
  const notes: Record<string, unknown> = {}
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
    const { stdout: keygen } = await exec('age-keygen', [])
    const recipient = /# public key: (age1[0-9a-z]+)/.exec(keygen)?.[1] as string
    const rcloneVersion = (await exec('rclone', ['version'], { env: rcloneEnv(box) })).stdout.split('\n')[0]
    notes.machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, rclone: rcloneVersion }

    for (const scale of scales) {
      const service = `bench_s${scale}`
      await box.ssh('dokku', `postgres:create ${service}`, { timeoutMs: 120_000 })
      const url = await box.realPostgresUrl(service)
      const initStarted = performance.now()
      await exec('pgbench', ['-i', '-s', String(scale), '-q', url], { maxBuffer: 16 * MIB })
      log(`scale ${scale}: pgbench -i took ${((performance.now() - initStarted) / 1000).toFixed(1)} s`)
      if (scale === scales[0]) notes.compression = await compressionStudy(box, service, work)

      const variants: Variant[] = ['dump-alone', 'rclone', 'backup-run', 'backup-run-no-counts']
      for (let run = 1; run <= runs; run++) {
        // Rotate the order each run so that no variant always goes first (cold caches) or last.
        const order = variants.map((_, i) => variants[(i + run - 1) % variants.length] as Variant)
        for (const variant of order) {
          const sample = { ...(await measure(variant, box, service, scale, run, recipient, work, s3)), load: Number((loadavg()[0] ?? 0).toFixed(2)) }
          samples.push(sample)
          log(`scale ${scale} run ${run} ${variant}: ${sample.seconds.toFixed(2)} s${sample.storedBytes ? `, ${(sample.storedBytes / MIB).toFixed(1)} MiB stored` : ''}${sample.peakRssKiB ? `, peak RSS ${(sample.peakRssKiB / 1024).toFixed(0)} MiB, CPU ${sample.cpuSeconds?.toFixed(2)} s` : ''}, load ${sample.load}`)
        }
      }
      await box.ssh('dokku', `postgres:destroy ${service} -f`, { timeoutMs: 120_000 })
    }
  } finally {
    s3.destroy()
    await box.stop()
    rmSync(work, { recursive: true, force: true })
  }
  const summary = summarize(samples)
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify({ at: new Date().toISOString(), notes, summary, samples }, null, 2)}\n`)
  console.log(JSON.stringify({ notes, summary }, null, 2))
}

function rcloneEnv(box: Sandbox): NodeJS.ProcessEnv {
  // AWS_CA_BUNDLE (set on these machines) makes rclone 1.60 fail to start its S3 backend.
  const { AWS_CA_BUNDLE: _drop, ...env } = process.env
  return {
    ...env,
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: box.s3.endpoint,
    RCLONE_CONFIG_BENCH_REGION: box.s3.region,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: box.s3.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: box.s3.secretAccessKey,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true'
  }
}

async function measure(variant: Variant, box: Sandbox, service: string, scale: number, run: number, recipient: string, work: string, s3: S3Client): Promise<Omit<Sample, 'load'>> {
  const ssh = ['ssh', ...sshArgs(box)].map((a) => `'${a}'`).join(' ')
  if (variant === 'dump-alone') {
    const devNull = openSync('/dev/null', 'w')
    try {
      return { variant, scale, run, seconds: await timed('ssh', [...sshArgs(box), `postgres:export ${service}`], { stdout: devNull }) }
    } finally {
      closeSync(devNull)
    }
  }
  if (variant === 'rclone') {
    const key = `rclone/s${scale}-r${run}.dump.gz`
    // rcat streams: it uploads in multipart chunks once the input passes --streaming-upload-cutoff.
    // fauxqs rejects rclone 1.60's CompleteMultipartUpload (see BENCHMARKS.md), so the cutoff is set
    // above the dump: rclone then buffers the stream in memory and sends one PUT at the end.
    const script = `set -o pipefail; ${ssh} 'postgres:export ${service}' | gzip -6 | rclone rcat --streaming-upload-cutoff 2G bench:${BUCKET}/${key}`
    const seconds = await timed('bash', ['-c', script], { env: rcloneEnv(box) })
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
    return { variant, scale, run, seconds, storedBytes: head.ContentLength ?? 0 }
  }
  const rssFile = join(work, `rss-${scale}-${run}`)
  const outputFile = join(work, `out-${scale}-${run}`)
  writeFileSync(outputFile, '')
  const inputs: Record<string, string> = {
    host: '127.0.0.1',
    'ssh-port': String(box.port),
    'ssh-private-key': box.users.dokku.privateKey,
    'ssh-host-key': box.knownHostsLine,
    's3-endpoint': box.s3.endpoint,
    's3-bucket': BUCKET,
    's3-access-key-id': box.s3.accessKeyId,
    's3-secret-access-key': box.s3.secretAccessKey,
    'age-recipients': recipient,
    sources: `postgres:${service}`,
    mode: 'backup',
    'row-counts': variant === 'backup-run' ? 'true' : 'false'
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, GITHUB_OUTPUT: outputFile, RUNNER_TEMP: work, BENCH_RSS_FILE: rssFile }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const seconds = await timed(process.execPath, ['--import', join(root, 'bench', 'rss-probe.mjs'), join(work, 'backup-run', 'index.js')], { env })
  const outputs = readFileSync(outputFile, 'utf8')
  const backups = JSON.parse(/backups<<(\S+)\n([\s\S]*?)\n\1/.exec(outputs)?.[2] ?? '[]') as { bytes?: number; plaintextBytes?: number; outcome: string }[]
  if (backups[0]?.outcome !== 'backed up') throw new Error(`backup-run did not back up: ${outputs}`)
  const usage = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKiB: number; cpuMs: number }
  return { variant, scale, run, seconds, storedBytes: backups[0].bytes ?? 0, dumpBytes: backups[0].plaintextBytes ?? 0, peakRssKiB: usage.maxRssKiB, cpuSeconds: usage.cpuMs / 1000 }
}

/** How much zstd and gzip gain on top of pg_dump -Fc's own gzip, and at what speed (one scale-10 dump). */
async function compressionStudy(box: Sandbox, service: string, work: string): Promise<Record<string, unknown>> {
  const file = join(work, 'study.dump')
  const fd = openSync(file, 'w')
  try {
    await timed('ssh', [...sshArgs(box), `postgres:export ${service}`], { stdout: fd })
  } finally {
    closeSync(fd)
  }
  const dump = readFileSync(file)
  const result: Record<string, unknown> = { dumpBytes: dump.length }
  const variants: [string, () => Buffer][] = [
    ['zstd-1', () => zlib.zstdCompressSync(dump, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } })],
    ['zstd-3', () => zlib.zstdCompressSync(dump, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })],
    ['gzip-6', () => zlib.gzipSync(dump, { level: 6 })]
  ]
  for (const [name, fn] of variants) {
    // The fastest of 20 rounds: one round over a few MiB takes milliseconds, and other work on
    // the machine would otherwise decide the figure.
    let best = Number.POSITIVE_INFINITY
    let size = 0
    for (let round = 0; round < 20; round++) {
      const started = performance.now()
      size = fn().length
      best = Math.min(best, (performance.now() - started) / 1000)
    }
    result[name] = { ratio: Number((size / dump.length).toFixed(4)), mibPerSecond: Number((dump.length / MIB / best).toFixed(0)) }
  }
  rmSync(file)
  return result
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function summarize(samples: Sample[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const scale of [...new Set(samples.map((s) => s.scale))]) {
    const of = (variant: Variant) => samples.filter((s) => s.scale === scale && s.variant === variant)
    const med = (variant: Variant) => median(of(variant).map((s) => s.seconds))
    const min = (variant: Variant) => Math.min(...of(variant).map((s) => s.seconds))
    const action = [...of('backup-run'), ...of('backup-run-no-counts')]
    out[`scale ${scale}`] = {
      dumpMiB: round((of('backup-run')[0]?.dumpBytes ?? 0) / MIB),
      medianSeconds: { dumpAlone: round(med('dump-alone')), rclone: round(med('rclone')), backupRun: round(med('backup-run')), backupRunNoCounts: round(med('backup-run-no-counts')) },
      minSeconds: { dumpAlone: round(min('dump-alone')), rclone: round(min('rclone')), backupRun: round(min('backup-run')), backupRunNoCounts: round(min('backup-run-no-counts')) },
      ratiosOfMedians: {
        backupRunOverDumpAlone: round(med('backup-run') / med('dump-alone')),
        backupRunOverRclone: round(med('backup-run') / med('rclone')),
        noCountsOverDumpAlone: round(med('backup-run-no-counts') / med('dump-alone'))
      },
      ratiosOfMinimums: {
        backupRunOverDumpAlone: round(min('backup-run') / min('dump-alone')),
        backupRunOverRclone: round(min('backup-run') / min('rclone')),
        noCountsOverDumpAlone: round(min('backup-run-no-counts') / min('dump-alone'))
      },
      storedMiB: { rclone: round((of('rclone')[0]?.storedBytes ?? 0) / MIB), backupRun: round((of('backup-run')[0]?.storedBytes ?? 0) / MIB) },
      backupRunPeakRssMiB: round(Math.max(...action.map((s) => (s.peakRssKiB ?? 0) / 1024))),
      backupRunMedianCpuSeconds: round(median(of('backup-run').map((s) => s.cpuSeconds ?? 0))),
      loadAverage: { min: Math.min(...samples.filter((s) => s.scale === scale).map((s) => s.load)), max: Math.max(...samples.filter((s) => s.scale === scale).map((s) => s.load)) }
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
