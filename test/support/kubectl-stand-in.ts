// A `kubectl` for the tests: the subset backup-run mode migrate runs (`get secret <name> -o json`,
// `exec [-i] <pod> [-c c] -- argv…`), answered from this machine instead of a cluster. A pod is a
// set of real parts: its commands (pg_dump, psql, tar, sh, sha256sum…) are this machine's, run
// against a real PostgreSQL database (through PG* variables) and a directory tree standing in for
// the pod's filesystem: each argument that names a mapped pod path (exactly, or below it) names
// the local directory instead. Like kubectl, exec passes stdin only with -i and exits with the
// command's status. It refuses to run unless --kubeconfig names a mode-600 file holding the
// expected kubeconfig, and logs every argv (JSON lines) so tests can check what was sent.
//
// Run as `node kubectl-stand-in.ts …` with KUBECTL_STAND_IN_CONFIG naming a JSON StandInConfig
// (see kubectlStandIn() in kubectl-fixture.ts, which writes both and a wrapper script).
import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs'

export interface StandInPod {
  /** Pod path → local directory. */
  paths: Record<string, string>
  /** Environment of the pod's commands (PGHOST, PGPORT, PGPASSWORD…). */
  env: Record<string, string>
}

export interface StandInConfig {
  kubeconfig: string
  namespace: string
  secrets: Record<string, { data: Record<string, string> }>
  pods: Record<string, StandInPod>
  /** argv log, one JSON array a line. */
  log: string
  /**
   * Faults, each used once (its file is removed when it fires): `cut` ends the command's output
   * after `afterBytes` and exits 137 (the exec killed half-way); `mutate` runs `shell` on this
   * machine once the command is done, before kubectl exits (the source written to during the copy).
   */
  faults?: { command: string; kind: 'cut' | 'mutate'; afterBytes?: number; shell?: string; onceFile: string }[]
}

function fail(message: string, code = 1): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(code)
}

function main(): void {
  const configPath = process.env.KUBECTL_STAND_IN_CONFIG
  if (!configPath) fail('KUBECTL_STAND_IN_CONFIG is not set')
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as StandInConfig
  const args = process.argv.slice(2)
  appendFileSync(config.log, `${JSON.stringify(args)}\n`)

  let kubeconfig: string | undefined
  let namespace = 'default'
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--') {
      rest.push(...args.slice(i))
      break
    }
    if (a === '--kubeconfig') kubeconfig = args[++i]
    else if (a === '--namespace' || a === '-n') namespace = args[++i] ?? ''
    else rest.push(a)
  }
  if (!kubeconfig) fail('no --kubeconfig given')
  const mode = statSync(kubeconfig).mode & 0o777
  if (mode !== 0o600) fail(`the kubeconfig ${kubeconfig} has mode ${mode.toString(8)}, not 600`)
  if (readFileSync(kubeconfig, 'utf8').trim() !== config.kubeconfig.trim()) fail('the kubeconfig is not the one the cluster expects (Unauthorized)')
  if (namespace !== config.namespace) fail(`namespace ${namespace} not found`)

  if (rest[0] === 'get' && rest[1] === 'secret') {
    const name = rest[2] ?? ''
    const secret = config.secrets[name]
    if (!secret) fail(`secrets "${name}" not found`)
    if (rest[3] !== '-o' || rest[4] !== 'json') fail('the stand-in only prints secrets with -o json')
    process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: secret.data }, null, 4))
    return
  }
  if (rest[0] === 'exec') return execInPod(config, rest.slice(1))
  fail(`the stand-in does not know kubectl ${rest.join(' ')}`)
}

function execInPod(config: StandInConfig, args: string[]): void {
  let interactive = false
  let pod: string | undefined
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--') break
    if (a === '-i' || a === '--stdin') interactive = true
    else if (a === '-c' || a === '--container') i++
    else if (!a.startsWith('-') && pod === undefined) pod = a
    else fail(`unexpected exec argument ${a}`)
  }
  const command = args.slice(i + 1)
  if (!pod || command.length === 0) fail('exec needs a pod and a command after --')
  const target = config.pods[pod]
  if (!target) fail(`pods "${pod}" not found`)
  const argv = command.map((word) => mapPath(target, word))
  const fault = (config.faults ?? []).find((f) => f.command === command[0] && existsSync(f.onceFile))
  if (fault) rmSync(fault.onceFile)
  // Without a cut to make, the command writes to this process's stdout itself: real kubectl's relay
  // runs in Go, and one in this stand-in's JavaScript would be charged to the action (and to the
  // benchmark, whose direct pipes have no kubectl at all).
  const cutAfter = fault?.kind === 'cut' ? (fault.afterBytes ?? 0) : undefined
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: [interactive ? 'inherit' : 'ignore', cutAfter === undefined ? 'inherit' : 'pipe', 'inherit'], env: { ...process.env, ...target.env } })
  let sent = 0
  let cut = false
  child.stdout?.on('data', (chunk: Buffer) => {
    if (cut || cutAfter === undefined) return
    if (sent + chunk.length >= cutAfter) {
      process.stdout.write(chunk.subarray(0, Math.max(0, cutAfter - sent)))
      cut = true
      child.kill('SIGKILL')
      return
    }
    sent += chunk.length
    if (!process.stdout.write(chunk)) {
      child.stdout?.pause()
      process.stdout.once('drain', () => child.stdout?.resume())
    }
  })
  child.on('error', () => fail(`exec: "${command[0]}": executable file not found in $PATH`, 126))
  child.on('close', (code, signal) => {
    if (cut) {
      process.stderr.write('command terminated with exit code 137\n')
      process.exitCode = 137
      return
    }
    if (fault?.kind === 'mutate' && fault.shell) spawnSync('sh', ['-c', fault.shell], { stdio: 'inherit', env: { ...process.env, ...target.env } })
    const status = code ?? (signal ? 137 : 1)
    if (status !== 0) process.stderr.write(`command terminated with exit code ${status}\n`)
    process.exitCode = status
  })
}

function mapPath(pod: StandInPod, word: string): string {
  for (const [podPath, local] of Object.entries(pod.paths)) {
    if (word === podPath) return local
    if (word.startsWith(`${podPath}/`)) return local + word.slice(podPath.length)
  }
  return word
}

main()
