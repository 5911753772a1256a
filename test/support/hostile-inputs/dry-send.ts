// Sends a case's client calls to nowhere: an executor that only builds the remote command string
// (src/core/ssh/quote.ts, as the real transport does) and answers every command with an empty
// success. A value the reader accepts but the client or the quoting cannot send is a promise broken:
// it would fail after connecting, mid-run, instead of before.
import { DokkuClient, DokkuArgumentError } from '../../../src/core/dokku/index.js'
import { toVersion } from '../../../src/core/dokku/version.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { buildRemoteCommand, UnsendableArgumentError } from '../../../src/core/ssh/quote.js'
import type { RemoteExecutor } from '../../../src/core/ssh/types.js'
import type { HostFixture, InputCase } from './types.ts'

export const DRY_FIXTURE: HostFixture = { app: 'hostile-app', service: 'hostile_db', absentApp: 'hostile-absent', configKey: 'HOSTILE' }

function dryExecutor(): RemoteExecutor {
  return {
    shell: 'dokku-forced-command',
    run: async (argv) => {
      buildRemoteCommand('dokku-forced-command', argv)
      return { code: 0, signal: null, stdout: '', stderr: '' }
    },
    exec: async () => ({ code: 0, signal: null, stdout: '', stderr: '' }),
    close: async () => undefined
  }
}

const client = new DokkuClient(dryExecutor(), new RecordingLogger(), toVersion('0.38.27'))

/** Undefined when every command could be built; else why one could not. */
export async function drySendProblem(c: InputCase, settings: unknown): Promise<string | undefined> {
  if (!c.send) return undefined
  try {
    await c.send(client, settings, DRY_FIXTURE)
  } catch (error) {
    if (error instanceof UnsendableArgumentError || error instanceof DokkuArgumentError)
      return `accepted by the reader, but the client refuses to send it after connecting: ${error.message.slice(0, 160)}`
    // Anything else is the empty answer not parsing: the command itself was sendable.
  }
  return undefined
}
