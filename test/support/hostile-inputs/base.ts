// Valid values every action table starts from: a real SSH key and age key pair made at run time
// (no private key lives in the repository), and the secrets among them.
import { execFileSync } from 'node:child_process'
import { testKeyInputs } from '../keys.ts'
import { registerTestSecret } from '../secret-registry.ts'

const keys = testKeyInputs()
export const SSH_PRIVATE_KEY = keys['ssh-private-key'] as string
export const SSH_HOST_KEY = keys['ssh-host-key'] as string

const ageKey = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
export const AGE_RECIPIENT = (/^# public key: (age1\S+)$/m.exec(ageKey) as RegExpExecArray)[1] as string
export const AGE_IDENTITY = ageKey.split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-')) as string
registerTestSecret('age identity (hostile-inputs)', AGE_IDENTITY)

/** The common inputs, valid. */
export const COMMON_BASE: Readonly<Record<string, string>> = {
  host: 'dokku.example.com',
  'ssh-private-key': SSH_PRIVATE_KEY,
  'ssh-host-key': SSH_HOST_KEY
}

export const COMMON_SECRETS: readonly string[] = [SSH_PRIVATE_KEY, ...SSH_PRIVATE_KEY.split('\n').filter((line) => line.length >= 16)]
