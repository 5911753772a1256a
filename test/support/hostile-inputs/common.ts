// The inputs every action reads through readCommonInputs (src/core/inputs/common.ts): the SSH
// connection. Tried once here rather than once per action, since every action reads them the same way.
import { readCommonInputs, type CommonSettings } from '../../../src/core/inputs/common.js'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable } from './types.ts'

const settings = (s: unknown) => s as CommonSettings

export const commonInputs: ActionInputTable = {
  action: 'common (every action)',
  read: (inputs) => readCommonInputs(inputs),
  base: COMMON_BASE,
  baseSecrets: COMMON_SECRETS,
  cases: [
    { input: 'host', reaches: ['ssh'], found: (s) => settings(s).ssh.host },
    { input: 'ssh-user', reaches: ['ssh', 'host'], found: (s) => settings(s).ssh.user },
    { input: 'ssh-port', reaches: ['ssh'], found: (s) => String(settings(s).ssh.port), expected: (raw) => String(Number(raw.trim())) },
    // A pin that does not parse is refused; one that parses is a pin (the hostile string cannot parse as one).
    { input: 'ssh-host-key', lines: true, reaches: ['ssh'], found: (s) => settings(s).ssh.hostKey, expected: () => 'never accepted' },
    { input: 'ssh-private-key', reaches: ['ssh'], secret: true, found: (s) => settings(s).ssh.privateKey, expected: () => 'never accepted' },
    { input: 'ssh-passphrase', reaches: ['ssh'], secret: true, found: (s) => settings(s).ssh.passphrase }
  ]
}
