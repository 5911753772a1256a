// `npm run sandbox`: starts a sandbox host (real sshd with Dokku's forced command, the Dokku
// simulator, PostgreSQL 15, an S3 server behind a recording proxy) and keeps it up until
// SIGINT/SIGTERM. Prints one JSON line with the connection details on stdout, and how to use
// them on stderr. Must run as root, under Node 24:  node scripts/sandbox.ts [options]
//
//   --dokku-version 0.38.27|0.37.5   (default 0.38.27)
//   --plugins postgres,redis         (default both; empty for none)
import { parseArgs } from 'node:util'
import { startSandbox, type DokkuVersion, type SandboxPlugin } from '../test/sandbox/harness/sandbox.ts'

const VERSIONS: readonly DokkuVersion[] = ['0.38.27', '0.37.5']
const PLUGINS: readonly SandboxPlugin[] = ['postgres', 'redis']

function fail(message: string): never {
  process.stderr.write(`sandbox: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    'dokku-version': { type: 'string', default: '0.38.27' },
    plugins: { type: 'string', default: PLUGINS.join(',') },
    help: { type: 'boolean', short: 'h', default: false }
  },
  strict: true
})
if (values.help) {
  process.stderr.write('usage: npm run sandbox -- [--dokku-version 0.38.27|0.37.5] [--plugins postgres,redis]\n')
  process.exit(0)
}
const dokkuVersion = values['dokku-version'] as DokkuVersion
if (!VERSIONS.includes(dokkuVersion)) fail(`--dokku-version must be one of ${VERSIONS.join(', ')}, not ${JSON.stringify(values['dokku-version'])}`)
const plugins = values.plugins
  .split(',')
  .map((p) => p.trim())
  .filter((p) => p !== '') as SandboxPlugin[]
for (const plugin of plugins) if (!PLUGINS.includes(plugin)) fail(`unknown plugin ${JSON.stringify(plugin)} in --plugins (known: ${PLUGINS.join(', ')})`)
if (process.getuid?.() !== 0) fail('must run as root (it starts sshd and runs PostgreSQL as the dokku user)')

const started = performance.now()
const sandbox = await startSandbox({ dokkuVersion, plugins }).catch((error: unknown) => fail(`could not start: ${error instanceof Error ? error.message : String(error)}`))
const startMs = Math.round(performance.now() - started)

process.stdout.write(
  `${JSON.stringify({
    host: sandbox.host,
    port: sandbox.port,
    user: 'dokku',
    privateKeyPath: sandbox.users.dokku.privateKeyPath,
    rootPrivateKeyPath: sandbox.users.root.privateKeyPath,
    knownHostsLine: sandbox.knownHostsLine,
    knownHostsPath: sandbox.knownHostsPath,
    hostKeyFingerprint: sandbox.hostKeyFingerprint,
    dokkuVersion: sandbox.dokkuVersion,
    plugins: sandbox.plugins,
    postgresAdminUrl: sandbox.postgresAdminUrl,
    s3Endpoint: sandbox.s3.endpoint,
    s3Region: sandbox.s3.region,
    s3AccessKeyId: sandbox.s3.accessKeyId,
    s3SecretAccessKey: sandbox.s3.secretAccessKey,
    s3RequestLog: sandbox.s3.requestLogPath,
    root: sandbox.root,
    pid: process.pid
  })}\n`
)

const q = (word: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)
const sshBase = `ssh -i ${q(sandbox.users.dokku.privateKeyPath)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${q(sandbox.knownHostsPath)} -p ${sandbox.port}`
process.stderr.write(
  [
    '',
    `Sandbox host up in ${startMs} ms (Dokku ${sandbox.dokkuVersion} simulated; plugins: ${sandbox.plugins.join(', ') || 'none'}).`,
    `  files:         ${sandbox.root}`,
    `  host key:      ${sandbox.hostKeyFingerprint}`,
    '',
    'Run Dokku commands as the dokku user (forced command; do not type "dokku"):',
    `  ${sshBase} dokku@127.0.0.1 apps:list`,
    'As root (a normal shell; "dokku" is on its PATH):',
    `  ssh -i ${q(sandbox.users.root.privateKeyPath)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${q(sandbox.knownHostsPath)} -p ${sandbox.port} root@127.0.0.1 dokku plugin:list`,
    'Deploy with git:',
    `  GIT_SSH_COMMAND=${q(`ssh -i ${q(sandbox.users.dokku.privateKeyPath)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${q(sandbox.knownHostsPath)}`)} \\`,
    `    git push ssh://dokku@127.0.0.1:${sandbox.port}/myapp main`,
    'PostgreSQL (superuser dokku):',
    `  psql ${q(sandbox.postgresAdminUrl)}`,
    `S3 (path-style; credentials in the JSON line above; requests are logged to ${sandbox.s3.requestLogPath}):`,
    `  endpoint ${sandbox.s3.endpoint}, region ${sandbox.s3.region}`,
    '',
    'Ctrl-C stops every process and removes the files.',
    ''
  ].join('\n')
)

let stopping = false
const keepAlive = setInterval(() => undefined, 1 << 30)
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return
  stopping = true
  process.stderr.write(`\n${signal}: stopping the sandbox host…\n`)
  try {
    await sandbox.stop()
    process.stderr.write('stopped; files removed.\n')
    process.exitCode = 0
  } catch (error) {
    process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  } finally {
    clearInterval(keepAlive)
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, (s) => void shutdown(s))
