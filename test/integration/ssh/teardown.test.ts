// Ending a connection never waits for what runs on it (issue 17, "a failed run must end"): close()
// stops the commands in flight and destroys their streams, an abandoned connection attempt stops
// at once and is not retried, and endConnections() — the action's outer guard — closes what an
// action forgot and lets no retry start again. Over the shared sandbox's real sshd.
import { createServer, type Server, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { SshConnectionError } from '../../../src/core/ssh/errors.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { connectSsh, endConnections } from '../../../src/core/ssh/connection.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { sshSettings } from '../dokku/helpers.ts'

const sandbox = sharedSandbox()
const service = `teardown_${Math.random().toString(36).slice(2, 8)}`

/** A TCP server that accepts and never says a word: an SSH handshake that never completes. */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => void }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    accepted: () => accepted,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  }
}

afterAll(async () => {
  await sandbox.ssh('dokku', `postgres:destroy ${service} -f`)
})

describe('ending a connection', () => {
  it('close() stops a command in flight: its exec rejects, its stdin stream is destroyed, nothing waits', async () => {
    expect((await sandbox.ssh('dokku', `postgres:create ${service}`)).code).toBe(0)
    const executor = await connectSsh(sshSettings(sandbox), { logger: new RecordingLogger() })
    // psql reading a stdin that never ends: a command that would run for ever.
    const stdin = new PassThrough()
    stdin.write('select 1;\n')
    const running = executor.exec(`postgres:connect ${service}`, { stdin }).then(
      () => undefined,
      (error: unknown) => error
    )
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(executor.describe()).toContain(`running \`postgres:connect ${service}\``)
    await executor.close()
    const error = await running
    expect(error).toBeInstanceOf(SshConnectionError)
    expect((error as Error).message).toMatch(/^`postgres:connect teardown_\w+` was stopped before it finished: the connection to dokku@127\.0\.0\.1:\d+ was closed while it ran$/)
    expect(stdin.destroyed).toBe(true)
    expect(executor.describe()).not.toContain('running')
  })

  it('an aborted connection attempt stops at once and is not retried', async () => {
    const silent = await silentServer()
    try {
      const ending = new AbortController()
      const attempt = connectSsh({ ...sshSettings(sandbox), port: silent.port }, { logger: new RecordingLogger(), connectTimeoutMs: 60_000, retries: 3, backoffMs: 10, signal: ending.signal }).then(
        () => undefined,
        (error: unknown) => error
      )
      while (silent.accepted() === 0) await new Promise((resolve) => setTimeout(resolve, 20))
      ending.abort()
      const error = await attempt
      expect(error).toBeInstanceOf(SshConnectionError)
      expect((error as Error).message).toMatch(/^The connection to dokku@127\.0\.0\.1:\d+ was abandoned before it was open/)
      expect(silent.accepted()).toBe(1)
    } finally {
      silent.close()
    }
  })

  it('an abort during the wait before a retry ends the wait at once', async () => {
    // Every connection is dropped before the SSH banner: retryable, so connectSsh waits out its backoff.
    let accepted = 0
    const dropping = createServer((socket) => {
      accepted++
      socket.destroy()
    })
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve))
    try {
      const port = (dropping.address() as { port: number }).port
      const ending = new AbortController()
      const logger = new RecordingLogger()
      // An hour's backoff: only the abort can end this attempt within the test's time limit.
      const attempt = connectSsh({ ...sshSettings(sandbox), port }, { logger, retries: 1, backoffMs: 3_600_000, signal: ending.signal }).then(
        () => undefined,
        (error: unknown) => error
      )
      while (!logger.text().includes('retrying in 60 min')) await new Promise((resolve) => setTimeout(resolve, 20))
      ending.abort()
      const error = await attempt
      expect(error).toBeInstanceOf(SshConnectionError)
      expect((error as Error).message).toMatch(/^The connection to dokku@127\.0\.0\.1:\d+ was abandoned before it was open/)
      expect(accepted).toBe(1)
    } finally {
      dropping.close()
    }
  })

  // Last in the file: after endConnections() this process opens no more connections.
  it('endConnections() drops a connection being opened and one left open, and nothing retries afterwards', async () => {
    const silent = await silentServer()
    try {
      const forgotten = await connectSsh(sshSettings(sandbox), { logger: new RecordingLogger() })
      const attempt = connectSsh({ ...sshSettings(sandbox), port: silent.port }, { logger: new RecordingLogger(), connectTimeoutMs: 60_000, retries: 3, backoffMs: 10 }).then(
        () => undefined,
        (error: unknown) => error
      )
      while (silent.accepted() === 0) await new Promise((resolve) => setTimeout(resolve, 20))
      const closed = await endConnections()
      expect(closed.sort()).toEqual([`SSH connection to dokku@127.0.0.1:${sandbox.port}`, `SSH connection to dokku@127.0.0.1:${silent.port} (being opened)`].sort())
      expect(await attempt).toBeInstanceOf(SshConnectionError)
      expect(silent.accepted()).toBe(1)
      expect(await forgotten.exec('version').catch((error: unknown) => error)).toBeInstanceOf(SshConnectionError)
      expect(await endConnections()).toEqual([])
    } finally {
      silent.close()
    }
  })
})
