// Shared set-up for the backup-run integration tests: the run's shared sandbox host, a fresh
// bucket per test file, a real age key pair (Debian's age-keygen) and inputs as a workflow gives them.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { S3Client } from '@aws-sdk/client-s3'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import type { Sandbox } from '../../sandbox/harness/sandbox.ts'
import { InputReader } from '../../../src/core/inputs/readers.ts'
import { registerTestSecret } from '../../support/secret-registry.ts'
import { createSandboxBucket, sandboxS3 } from '../../support/sandbox-s3.ts'

export const exec = promisify(execFile)

export function sandbox(): Sandbox {
  return sharedSandbox()
}

/** A unique, valid name (services, buckets) for this test file. */
export function unique(base: string): string {
  return `${base}-${randomBytes(3).toString('hex')}`
}

/** An S3 client straight to the S3 server (not recorded): for test set-up and inspection. */
export function directS3(): S3Client {
  return sandboxS3(sandbox())
}

export function createBucket(name: string): Promise<void> {
  return createSandboxBucket(sandbox(), name)
}

export interface AgeKeys {
  identity: string
  recipient: string
}

/** A key pair from the real age-keygen (it writes the identity and a `# public key:` comment). */
export async function ageKeys(): Promise<AgeKeys> {
  const { stdout } = await exec('age-keygen', [])
  const identity = stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) as string
  registerTestSecret('age identity (backup-run helpers)', identity)
  const recipient = /# public key: (age1[0-9a-z]+)/.exec(stdout)?.[1] as string
  return { identity, recipient }
}

/** The SSH inputs of any action against the sandbox host, its key pinned. */
export function sandboxSshInputs(): Record<string, string> {
  const box = sandbox()
  return { host: '127.0.0.1', 'ssh-port': String(box.port), 'ssh-private-key': box.users.dokku.privateKey, 'ssh-host-key': box.knownHostsLine }
}

/** The inputs of a backup-run step against the sandbox host and its S3 server. */
export function stepInputs(bucket: string, keys: AgeKeys, extra: Record<string, string>): Record<string, string> {
  const box = sandbox()
  return {
    ...sandboxSshInputs(),
    // http://localhost:PORT on purpose: a client without path-style would ask for bucket.localhost.
    's3-endpoint': box.s3.endpoint,
    's3-bucket': bucket,
    's3-access-key-id': box.s3.accessKeyId,
    's3-secret-access-key': box.s3.secretAccessKey,
    'age-recipients': keys.recipient,
    ...extra
  }
}

export function reader(values: Record<string, string>): InputReader {
  return new InputReader((name) => values[name] ?? '')
}

/**
 * A connection URL without its password, and the password in PGPASSWORD: a failing command's error
 * (which quotes its argv) then shows no secret in the test output.
 */
function withoutPassword(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url)
  const password = decodeURIComponent(parsed.password)
  parsed.password = ''
  return { url: parsed.toString(), env: password === '' ? process.env : { ...process.env, PGPASSWORD: password } }
}

export async function psql(url: string, sql: string): Promise<string> {
  const target = withoutPassword(url)
  const { stdout } = await exec('psql', [target.url, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: target.env })
  return stdout
}

/** A plain-SQL dump without owner/ACL lines: equal for two databases with the same content. */
export async function plainDump(url: string): Promise<string> {
  const target = withoutPassword(url)
  const { stdout } = await exec('pg_dump', ['--no-owner', '--no-acl', '--no-comments', target.url], { maxBuffer: 256 * 1024 * 1024, env: target.env })
  // \restrict / \unrestrict carry a random key per dump (pg_dump 15.14+).
  return stdout.replace(/^-- Dumped (from|by) .*$/gm, '').replace(/^\\(un)?restrict .*$/gm, '')
}

export async function dokku(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await sandbox().ssh('dokku', command, stdin === undefined ? {} : { stdin })
  return result
}
