// A changed host key (issue 17): every action, given an `ssh-host-key` that is not the host's, refuses
// the host before authenticating, naming both fingerprints — the one pinned and the one presented —
// and sends nothing: no command reaches the simulator (its argv log stays empty) and sshd logs no
// authentication attempt for the connection (its log is VERBOSE: a key offered would show as
// "Failed publickey", "Postponed publickey" or "Accepted publickey"). A sandbox of its own, so that
// its argv log and sshd log hold this file's connections only.
//
// The table holds every action's entry (`run` of src/actions/<name>/main.ts), the root `stack`
// action's included (with a one-service stack file: the file is read before connecting).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run as backupRun } from '../../../src/actions/backup-run/main.ts'
import { run as caddyConfig } from '../../../src/actions/caddy-config/main.ts'
import { run as dokkuDeploy } from '../../../src/actions/dokku-deploy/main.ts'
import { run as dokkuService } from '../../../src/actions/dokku-service/main.ts'
import { run as seaweedProvision } from '../../../src/actions/seaweed-provision/main.ts'
import { run as stack } from '../../../src/actions/stack/main.ts'
import { InputReader } from '../../../src/core/inputs/readers.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { argvLogPath, readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { recordReliability } from '../../support/reliability.ts'
import { ageKeys, type AgeKeys } from '../backup-run/helpers.ts'
import { createSandboxBucket } from '../../support/sandbox-s3.ts'

const exec = promisify(execFile)
const PROMISE = 'host-key-changed'
const bucket = 'hostkey-backups'

let sandbox: Sandbox
let work: string
let keys: AgeKeys
/** Another host's key: what an impostor (or a re-keyed host) does not present. */
let otherKey: { line: string; fingerprint: string }

interface ActionEntry {
  name: string
  run: (inputs: InputReader, logger: RecordingLogger) => Promise<unknown>
  inputs: () => Record<string, string>
}

const ACTIONS: ActionEntry[] = [
  {
    name: 'backup-run',
    run: (inputs, logger) => backupRun(inputs, undefined, logger),
    inputs: () => ({
      's3-endpoint': sandbox.s3.endpointIp,
      's3-bucket': bucket,
      's3-access-key-id': sandbox.s3.accessKeyId,
      's3-secret-access-key': sandbox.s3.secretAccessKey,
      sources: 'postgres:hostkey_pg',
      'age-recipients': keys.recipient
    })
  },
  { name: 'dokku-deploy', run: (inputs, logger) => dokkuDeploy(inputs, undefined, logger), inputs: () => ({ app: 'hostkey-app', source: 'image', image: 'ghcr.io/acme/app:1' }) },
  { name: 'dokku-service', run: (inputs, logger) => dokkuService(inputs, undefined, logger), inputs: () => ({ engine: 'postgres', service: 'hostkey_pg' }) },
  { name: 'seaweed-provision', run: (inputs, logger) => seaweedProvision(inputs, undefined, logger), inputs: () => ({ endpoint: 'http://127.0.0.1:9000' }) },
  { name: 'caddy-config', run: (inputs, logger) => caddyConfig(inputs, undefined, logger), inputs: () => ({ 'letsencrypt-email': 'ops@example.org' }) },
  { name: 'stack', run: (inputs, logger) => stack(inputs, undefined, logger), inputs: () => ({ 'stack-file': join(work, 'dokku-stack.yml') }) }
]

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'host-key-'))
  writeFileSync(join(work, 'dokku-stack.yml'), 'version: 1\nservices:\n  hostkey_pg: { engine: postgres }\n')
  sandbox = await startSandbox({ plugins: ['postgres'] })
  keys = await ageKeys()
  await createSandboxBucket(sandbox, bucket)
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(work, 'other')])
  const publicKey = readFileSync(join(work, 'other.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
  const fingerprint = (await exec('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(work, 'other.pub')])).stdout.split(/\s+/)[1] as string
  otherKey = { line: `[127.0.0.1]:${sandbox.port} ${publicKey}`, fingerprint }
}, 120_000)

afterAll(async () => {
  await sandbox?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
}, 60_000)

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

const sshdLog = () => join(sandbox.root, 'sshd', 'sshd.log')
const AUTH_ATTEMPT = /publickey|password|keyboard-interactive|Accepted|Failed|Postponed|Invalid user|userauth/i

describe('a changed host key is refused before authentication, naming both fingerprints', () => {
  const pins = [
    { form: 'a known_hosts line', value: () => otherKey.line },
    { form: 'a SHA256: fingerprint', value: () => otherKey.fingerprint }
  ]
  for (const action of ACTIONS) {
    for (const pin of pins) {
      it(`${action.name}, pinned as ${pin.form}`, async () => {
        const argvBefore = sizeOf(argvLogPath(sandbox.root))
        const sshdBefore = sizeOf(sshdLog())
        const logger = new RecordingLogger()
        const values: Record<string, string> = {
          host: '127.0.0.1',
          'ssh-port': String(sandbox.port),
          'ssh-private-key': sandbox.users.dokku.privateKey,
          'ssh-host-key': pin.value(),
          ...action.inputs()
        }
        const outcome = await action.run(new InputReader((name) => values[name] ?? ''), logger).then(
          () => undefined,
          (error: unknown) => error as Error
        )
        const message = outcome?.message ?? ''
        // sshd writes the end of the connection after the client has gone: wait for it (bounded).
        for (let i = 0; i < 100 && !/Connection closed|Disconnected|Connection reset/.test(readFileSync(sshdLog(), 'utf8').slice(sshdBefore)); i++)
          await new Promise((resolve) => setTimeout(resolve, 50))
        const sshdLines = readFileSync(sshdLog(), 'utf8').slice(sshdBefore)
        const checks = {
          'the action failed': outcome !== undefined,
          'the message says the host key does not match': /Host key mismatch/.test(message),
          'it names the pinned fingerprint': message.includes(otherKey.fingerprint),
          'it names the presented fingerprint': message.includes(sandbox.hostKeyFingerprint),
          'it says nothing was authenticated': /closed before authenticating/.test(message),
          'no command reached the host': readArgvLog(sandbox.root, argvBefore).length === 0,
          'the host saw a connection': /Connection from 127\.0\.0\.1/.test(sshdLines),
          'sshd logged no authentication attempt': !AUTH_ATTEMPT.test(sshdLines)
        }
        const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
        recordReliability(PROMISE, `${action.name}, ${pin.form}`, { tried: 1, held: failed.length === 0 ? 1 : 0 })
        expect(failed, `${message}\n--- sshd ---\n${sshdLines}`).toEqual([])
      }, 60_000)
    }
  }
})
