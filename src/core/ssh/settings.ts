import type { HostKeyPin } from './host-key.js'
import type { RemoteShell } from './types.js'

/**
 * The inputs the SSH settings are read from (core/inputs reads them): connection errors name them,
 * so that the message says which input to fix.
 */
export const SshInputs = {
  host: 'host',
  sshPort: 'ssh-port',
  sshUser: 'ssh-user',
  sshPrivateKey: 'ssh-private-key',
  sshPassphrase: 'ssh-passphrase',
  sshHostKey: 'ssh-host-key',
  sshAcceptNewHostKey: 'ssh-accept-new-host-key'
} as const

export type HostKeyPolicy = { mode: 'pinned'; pins: HostKeyPin[] } | { mode: 'accept-new' }

export interface SshSettings {
  host: string
  port: number
  user: string
  privateKey: string
  passphrase: string | undefined
  hostKey: HostKeyPolicy
  shell: RemoteShell
}
