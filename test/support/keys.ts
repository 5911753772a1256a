import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registerTestSecret } from './secret-registry.ts'

let cached: { privateKey: string; fingerprint: string } | undefined

/** A real ed25519 key pair made once per test process, as the common SSH inputs. */
export function testKeyInputs(): Record<string, string> {
  if (!cached) {
    const dir = mkdtempSync(join(tmpdir(), 'test-key-'))
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', join(dir, 'id')])
      const privateKey = readFileSync(join(dir, 'id'), 'utf8')
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'id.pub')], { encoding: 'utf8' }).split(' ')[1] as string
      registerTestSecret('test SSH private key (test/support/keys.ts)', privateKey)
      cached = { privateKey, fingerprint }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return { 'ssh-private-key': cached.privateKey, 'ssh-host-key': cached.fingerprint }
}
