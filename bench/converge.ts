// The converge benchmark (issue 14): the root action converging a stack file over ONE SSH
// connection, against the same Dokku commands sent one `ssh` process per command — what a shell
// script around `ssh dokku@host …` does — with a userspace proxy adding a far host's round-trip
// time (default 50 ms) in front of the sandbox's sshd. In one run:
//
//   stack, from nothing   the committed bundle dist/stack/index.js on a fresh sandbox host
//   ssh per command        every command that run sent (the simulator's argv log), replayed in the
//                          same order, one OpenSSH process each, on a second fresh host
//   stack, nothing to do   the bundle again on the converged host (the fastest of --noop-pairs runs)
//   ssh per command        the no-op run's commands replayed the same way
//   stack, nothing to do   the same with no added latency, alternating with the runs above: the
//   at 0 ms                difference of the two fastest, divided by the round-trip time, is the
//                          number of round trips the no-op run waited for, which the issue bounds
//                          at three per resource
//
//   npm run bench:converge                       # 50 ms, 3 apps, 3 rounds
//   npm run bench:converge -- --rtt 100 --apps 5 --runs 1
//   npm run bench:converge -- --bundle /tmp/stack/index.js   # a bundle other than dist/stack's
//
// Needs root (the sandbox host runs sshd and PostgreSQL) and a built dist/ (npm run bundle).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildRemoteCommand } from '../src/core/ssh/quote.ts'
import { startSandbox, type Sandbox } from '../test/sandbox/harness/sandbox.ts'
import { argvLogPath, readArgvLog } from '../test/sandbox/simulator/core/argv-log.ts'
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback
}
const rttMs = Number(arg('rtt', '50'))
const appCount = Number(arg('apps', '3'))
const runs = Number(arg('runs', '3'))
const bundleSource = arg('bundle', join(root, 'dist', 'stack', 'index.js'))
const NOOP_PAIRS = Number(arg('noop-pairs', '3'))

/** The stack the benchmark converges: two services shared by N apps with config, secrets and storage, each deployed from an image. */
export function benchStack(apps: number): { yaml: string; secrets: Record<string, string>; resources: number } {
  const secrets: Record<string, string> = {}
  const lines = ['version: 1', 'services:', '  bench-db: { engine: postgres }', '  bench-redis: { engine: redis }', 'proxy: { letsencrypt-email: ops@example.org, tls: internal }', 'apps:']
  for (let i = 1; i <= apps; i++) {
    const app = `bench-app-${i}`
    const secret = `BENCH_SECRET_${i}`
    secrets[secret] = `s3cr3t-${i}-${Math.random().toString(36).slice(2)}`
    lines.push(
      `  ${app}:`,
      '    services: [bench-db, bench-redis]',
      `    config: { URL: "https://${app}.sandbox.test/", LOG_LEVEL: info, POOL_SIZE: "10" }`,
      `    secrets: [${secret}]`,
      `    domains: [${app}.sandbox.test]`,
      '    port: 4000',
      `    storage: ["${app}-uploads:/app/uploads"]`,
      '    healthcheck: { path: /health }',
      `    deploy: { image: "registry.example/bench/${app}@sha256:${String(i).repeat(64).slice(0, 64)}" }`
    )
  }
  // A resource is what the plan table has rows for: each service, the proxy, each app.
  return { yaml: `${lines.join('\n')}\n`, secrets, resources: 3 + apps }
}

interface Host {
  box: Sandbox
  proxy: LatencyProxy
  /** The same host with no added latency. */
  direct: LatencyProxy
}

async function startHost(): Promise<Host> {
  const box = await startSandbox()
  const target = { host: box.host, port: box.port }
  return { box, proxy: await startLatencyProxy(target, rttMs / 2), direct: await startLatencyProxy(target, 0) }
}

async function stopHost(host: Host): Promise<void> {
  await host.proxy.close()
  await host.direct.close()
  await host.box.stop()
}

/** Runs a process to its end; `output` is the tail of its stdout and stderr (an action reports its error on stdout). */
function timedProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-6000))
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', reject)
    child.on('close', (code) => resolve({ seconds: (performance.now() - started) / 1000, code, output }))
  })
}

/** The bundle, spawned as a runner spawns it, against the host through `proxy`. */
async function runStack(host: Host, proxy: LatencyProxy, stackFile: string, secrets: Record<string, string>, bundle: string): Promise<{ seconds: number; commands: string[][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-converge-'))
  const output = join(dir, 'output')
  writeFileSync(output, '')
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RUNNER_TEMP: dir, GITHUB_OUTPUT: output, ...secrets }
  const inputs: Record<string, string> = {
    host: '127.0.0.1',
    'ssh-port': String(proxy.port),
    'ssh-user': 'dokku',
    'ssh-private-key': host.box.users.dokku.privateKey,
    'ssh-host-key': host.box.hostKeyFingerprint,
    'stack-file': stackFile,
    // Caddy's HTTPS probe of each domain needs DNS the sandbox does not have; the deploys' own checks still run.
    verify: 'false'
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const offset = logSize(host.box)
  try {
    const run = await timedProcess(process.execPath, [bundle], env)
    if (run.code !== 0) throw new Error(`the stack action failed (exit ${run.code}):\n${run.output}`)
    return { seconds: run.seconds, commands: readArgvLog(host.box.root, offset).map((record) => record.argv) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function logSize(box: Sandbox): number {
  try {
    return statSync(argvLogPath(box.root)).size
  } catch {
    return 0
  }
}

/** The same commands, one OpenSSH process each, in order: the alternative the issue names. */
async function replayOneSshPerCommand(host: Host, commands: readonly string[][]): Promise<number> {
  const started = performance.now()
  for (const argv of commands) {
    const args = [
      '-i', host.box.users.dokku.privateKeyPath,
      '-p', String(host.proxy.port),
      '-o', `UserKnownHostsFile=${host.box.knownHostsPath}`,
      '-o', `HostKeyAlias=[127.0.0.1]:${host.box.port}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      'dokku@127.0.0.1', buildRemoteCommand('dokku-forced-command', argv)
    ]
    // A command that fails here failed the same way for the action (a probe for something absent): its time still counts.
    await timedProcess('ssh', args, process.env)
  }
  return (performance.now() - started) / 1000
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] as number
}

async function main(): Promise<void> {
  const bundle = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'index.js')
  // A copy of the committed bundle: a rebuild of dist/ during the run (which empties it first) cannot break it.
  writeFileSync(bundle, readFileSync(bundleSource))
  const { yaml, secrets, resources } = benchStack(appCount)
  const stackFile = join(mkdtempSync(join(tmpdir(), 'bench-stack-')), 'dokku-stack.yml')
  writeFileSync(stackFile, yaml)
  const rows: { round: number; full: number; fullSsh: number; fullCommands: number; noop: number; noopSsh: number; noopCommands: number; noopDirect: number; load: number }[] = []
  for (let round = 1; round <= runs; round++) {
    const a = await startHost()
    const b = await startHost()
    try {
      const full = await runStack(a, a.proxy, stackFile, secrets, bundle)
      // The no-op, alternately through the latency proxy and directly, NOOP_PAIRS times each: the
      // fastest of each is the one least slowed by whatever else the machine was doing, so their
      // difference counts round trips rather than load (one pair on a busy machine was off by 25).
      const noops: { seconds: number; commands: string[][] }[] = []
      const directs: { seconds: number; commands: string[][] }[] = []
      for (let pair = 0; pair < NOOP_PAIRS; pair++) {
        noops.push(await runStack(a, a.proxy, stackFile, secrets, bundle))
        directs.push(await runStack(a, a.direct, stackFile, secrets, bundle))
      }
      const noop = { seconds: Math.min(...noops.map((r) => r.seconds)), commands: noops[0]!.commands }
      const noopDirect = { seconds: Math.min(...directs.map((r) => r.seconds)) }
      const replayable = full.commands.filter((argv) => !(argv[0] ?? '').startsWith('git-'))
      const fullSsh = await replayOneSshPerCommand(b, replayable)
      const noopSsh = await replayOneSshPerCommand(a, noop.commands)
      rows.push({ round, full: full.seconds, fullSsh, fullCommands: full.commands.length, noop: noop.seconds, noopSsh, noopCommands: noop.commands.length, noopDirect: noopDirect.seconds, load: loadavg()[0] as number })
      console.error(`round ${round}: full ${full.seconds.toFixed(2)} s vs ${fullSsh.toFixed(2)} s; no-op ${noop.seconds.toFixed(2)} s vs ${noopSsh.toFixed(2)} s (${noopDirect.seconds.toFixed(2)} s at 0 ms)`)
    } finally {
      await stopHost(a)
      await stopHost(b)
    }
  }
  const full = median(rows.map((r) => r.full))
  const fullSsh = median(rows.map((r) => r.fullSsh))
  const noop = median(rows.map((r) => r.noop))
  const noopSsh = median(rows.map((r) => r.noopSsh))
  const noopDirect = median(rows.map((r) => r.noopDirect))
  const roundTrips = Math.max(0, (noop - noopDirect) / (rttMs / 1000))
  const summary = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    rttMs,
    apps: appCount,
    resources,
    rounds: rows,
    medians: { full, fullSsh, noop, noopSsh, noopDirect },
    ratios: { full: full / fullSsh, noop: noop / noopSsh },
    noopRoundTrips: roundTrips,
    noopRoundTripsPerResource: roundTrips / resources
  }
  writeFileSync(join(root, 'bench', 'converge-results.json'), `${JSON.stringify(summary, null, 2)}\n`)
  console.log(`| ${rttMs} ms RTT, ${appCount} apps (${resources} resources) | stack action | one ssh per command | ratio |`)
  console.log('|---|---:|---:|---:|')
  console.log(`| converge from nothing (${rows[0]?.fullCommands} commands) | ${full.toFixed(2)} s | ${fullSsh.toFixed(2)} s | ${(full / fullSsh).toFixed(3)}× |`)
  console.log(`| converge with nothing to do (${rows[0]?.noopCommands} commands) | ${noop.toFixed(2)} s | ${noopSsh.toFixed(2)} s | ${(noop / noopSsh).toFixed(3)}× |`)
  console.log(`\nno-op: ${noop.toFixed(2)} s at ${rttMs} ms, ${noopDirect.toFixed(2)} s at 0 ms → ${roundTrips.toFixed(1)} round trips, ${(roundTrips / resources).toFixed(2)} per resource`)
}

await main()
