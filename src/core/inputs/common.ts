import { ConfigurationError } from '../errors.js'
import { parseHostKeyPins } from '../ssh/host-key.js'
import { checkPrivateKey } from '../ssh/private-key.js'
import { SshInputs, type HostKeyPolicy, type SshSettings } from '../ssh/settings.js'
import type { RemoteShell } from '../ssh/types.js'
import { invalid, type InputReader } from './readers.js'

/** Inputs every action accepts, under the same names. */
export const CommonInputs = {
  ...SshInputs,
  dryRun: 'dry-run'
} as const

export interface CommonSettings {
  ssh: SshSettings
  dryRun: boolean
}

const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/

export function readCommonInputs(inputs: InputReader): CommonSettings {
  // Secrets first: masked before any other input can fail and print an error.
  const privateKey = inputs.secret(CommonInputs.sshPrivateKey, {
    required: true,
    hint: 'Store the deploy key as a repository secret and pass it with `ssh-private-key: ${{ secrets.DOKKU_SSH_KEY }}`.'
  })
  const passphrase = inputs.secret(CommonInputs.sshPassphrase)
  const host = inputs.hostname(CommonInputs.host, { required: true })
  const port = inputs.port(CommonInputs.sshPort, 22)
  const user = inputs.string(CommonInputs.sshUser, 'dokku')
  if (!UNIX_USER.test(user))
    throw invalid(CommonInputs.sshUser, user, 'must be a Unix user name', 'Use dokku (the default), root, or a user allowed to run dokku through sudo.')
  checkPrivateKey(CommonInputs.sshPrivateKey, CommonInputs.sshPassphrase, privateKey, passphrase)

  const pinsText = inputs.optional(CommonInputs.sshHostKey)
  const acceptNew = inputs.boolean(CommonInputs.sshAcceptNewHostKey, false)
  let hostKey: HostKeyPolicy
  if (pinsText !== undefined && acceptNew)
    throw new ConfigurationError(
      `Inputs "${CommonInputs.sshHostKey}" and "${CommonInputs.sshAcceptNewHostKey}" cannot both be set. Keep ${CommonInputs.sshHostKey} (pinned, safe) and remove ${CommonInputs.sshAcceptNewHostKey}.`,
      CommonInputs.sshAcceptNewHostKey
    )
  if (pinsText !== undefined) hostKey = { mode: 'pinned', pins: parseHostKeyPins(CommonInputs.sshHostKey, pinsText) }
  else if (acceptNew) hostKey = { mode: 'accept-new' }
  else
    throw new ConfigurationError(
      `Input "${CommonInputs.sshHostKey}" is required: the host key is pinned so that nobody can impersonate ${host}. ` +
        `Run \`ssh-keyscan -p ${port} ${host}\` from a trusted machine and store its output (or the key's SHA256: fingerprint) as a secret or variable. ` +
        `To trust whatever key the host presents, set ${CommonInputs.sshAcceptNewHostKey}: true (not recommended).`,
      CommonInputs.sshHostKey
    )

  const shell: RemoteShell = user === 'dokku' ? 'dokku-forced-command' : user === 'root' ? 'root-shell' : 'sudo-shell'
  return {
    ssh: { host, port, user, privateKey, passphrase, hostKey, shell },
    dryRun: inputs.boolean(CommonInputs.dryRun, false)
  }
}
