// One SSH connection, many commands at once (issue 17, "20 apps in one run"): sshd opens at most
// MaxSessions (10, OpenSSH's default, as on a stock Dokku host) channels per connection and refuses
// the next ones. The transport queues commands beyond its channel limit (8) instead of failing them,
// and asks again for a channel the host refused (sshd frees a session a moment after its channel closed).
// The commands run as root on the sandbox's real sshd and block on a file the test creates, so how
// many run at once is read from the host, not guessed from timings.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SshConnectionError } from '../../../src/core/ssh/errors.js'
import { readCommonInputs } from '../../../src/core/inputs/common.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { connectSsh, DEFAULT_MAX_CHANNELS, type SshExecutor } from '../../../src/core/ssh/connection.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { captureStdout, inputsFrom } from '../../support/inputs.js'
import { recordReliability } from '../../support/reliability.js'
import { waitFor } from '../../support/wait.js'

const sandbox = sharedSandbox()
const SSHD_MAX_SESSIONS = 10
const COMMANDS = 3 * SSHD_MAX_SESSIONS
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(sandbox.root, 'tmp', 'channels-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function connect(maxChannels?: number): Promise<SshExecutor> {
  const values = { host: sandbox.host, 'ssh-port': String(sandbox.port), 'ssh-user': 'root', 'ssh-private-key': sandbox.users.root.privateKey, 'ssh-host-key': sandbox.knownHostsLine }
  // The reader masks the key (::add-mask:: on stdout); kept out of the test's output.
  let common!: ReturnType<typeof readCommonInputs>
  captureStdout(() => (common = readCommonInputs(inputsFrom(values))))
  return connectSsh(common.ssh, { logger: new RecordingLogger(), ...(maxChannels === undefined ? {} : { maxChannels }) })
}

/** A shell command (root's login runs it as is) that says it started, then waits (at most 120 s) until `go` exists. */
function blocked(run: string, i: number): string {
  return `touch ${run}/started.${i}; n=0; while [ ! -e ${run}/go ] && [ $n -lt 2400 ]; do sleep 0.05; n=$((n+1)); done; echo done ${i}`
}

async function started(run: string): Promise<number> {
  return (await readdir(run)).filter((f) => f.startsWith('started.')).length
}

describe('many commands at once over one connection', () => {
  it(`runs ${COMMANDS} commands asked for at once, at most ${DEFAULT_MAX_CHANNELS} at a time, and none is refused`, async () => {
    const run = await mkdtemp(join(dir, 'limited-'))
    const executor = await connect()
    try {
      const results = Promise.allSettled(Array.from({ length: COMMANDS }, (_, i) => executor.exec(blocked(run, i))))
      await waitFor(async () => (await started(run)) === DEFAULT_MAX_CHANNELS, { what: `${DEFAULT_MAX_CHANNELS} commands to start` })
      // The others wait for a channel: the connection says so.
      expect(executor.describe()).toContain(`(${COMMANDS - DEFAULT_MAX_CHANNELS} more waiting for a channel)`)
      await writeFile(join(run, 'go'), '')
      const settled = await results
      const held = settled.filter((r) => r.status === 'fulfilled' && r.value.code === 0).length
      recordReliability('concurrency', 'commands asked for at once over one SSH connection', { tried: COMMANDS, held, details: { 'channel limit': DEFAULT_MAX_CHANNELS } })
      expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.stdout.trim() : String(r.reason)))).toEqual(Array.from({ length: COMMANDS }, (_, i) => `done ${i}`))
      expect(await started(run)).toBe(COMMANDS)
    } finally {
      await executor.close()
    }
  }, 180_000)

  it('a channel the host refuses is asked for again: with a limit above sshd\'s MaxSessions, every command still runs', async () => {
    const run = await mkdtemp(join(dir, 'refused-'))
    const executor = await connect(COMMANDS)
    try {
      const results = Promise.allSettled(Array.from({ length: COMMANDS }, (_, i) => executor.exec(blocked(run, i))))
      // sshd runs ten sessions; the other twenty channel opens are refused ("open failed") and retried.
      await waitFor(async () => (await started(run)) === SSHD_MAX_SESSIONS, { what: `${SSHD_MAX_SESSIONS} commands to start` })
      await writeFile(join(run, 'go'), '')
      const settled = await results
      const held = settled.filter((r) => r.status === 'fulfilled' && r.value.code === 0).length
      recordReliability('concurrency', 'commands beyond sshd MaxSessions over one SSH connection (refused channels asked for again)', { tried: COMMANDS, held })
      expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.stdout.trim() : String(r.reason)))).toEqual(Array.from({ length: COMMANDS }, (_, i) => `done ${i}`))
    } finally {
      await executor.close()
    }
  }, 180_000)

  it('a command still waiting for a channel when the connection closes is refused without running, and its streams are released', async () => {
    const run = await mkdtemp(join(dir, 'closing-'))
    const executor = await connect(1)
    const first = executor.exec(blocked(run, 0)).then(() => 'ran', (error: unknown) => error)
    await waitFor(async () => (await started(run)) === 1, { what: 'the first command to start' })
    const sink = new PassThrough()
    const waiting = executor.exec(blocked(run, 1), { stdout: sink }).then(() => 'ran', (error: unknown) => error)
    expect(executor.describe()).toContain('(1 more waiting for a channel)')
    await executor.close()
    const refused = await waiting
    expect(refused).toBeInstanceOf(SshConnectionError)
    expect((refused as Error).message).toMatch(/waiting for a channel .* did not run: the connection was closed/)
    expect(sink.destroyed).toBe(true)
    expect(await first).toBeInstanceOf(SshConnectionError)
    expect(await started(run)).toBe(1)
  }, 180_000)
})
