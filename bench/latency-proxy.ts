// A userspace TCP proxy that delays every byte by a fixed one-way time in each direction, so that
// a benchmark on one machine sees the round-trip time of a far host (issue 14: 50 ms in front of the
// sandbox's sshd). Order is kept per direction; a direction whose queue grows past a bound pauses
// its source, so a bulk transfer cannot grow the proxy's memory without limit. Listens on 127.0.0.1.
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface LatencyProxy {
  port: number
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

const MAX_QUEUED_BYTES = 8 * 1024 * 1024

export async function startLatencyProxy(target: { host: string; port: number }, oneWayDelayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createServer((client) => {
    accepted++
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    delayed(client, upstream, oneWayDelayMs)
    delayed(upstream, client, oneWayDelayMs)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the latency proxy has no TCP port')
  return {
    port: address.port,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Copies `from` to `to`, each chunk released `delayMs` after it arrived, in arrival order. */
function delayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: { at: number; chunk: Buffer }[] = []
  let queued = 0
  let timer: NodeJS.Timeout | undefined
  let ended = false
  const flush = (): void => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now) {
      const { chunk } = queue.shift() as { at: number; chunk: Buffer }
      queued -= chunk.length
      to.write(chunk)
    }
    if (queued < MAX_QUEUED_BYTES / 2 && from.isPaused()) from.resume()
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, (queue[0] as { at: number }).at - now))
    else if (ended) to.end()
  }
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: performance.now() + delayMs, chunk })
    queued += chunk.length
    if (queued > MAX_QUEUED_BYTES) from.pause()
    timer ??= setTimeout(flush, delayMs)
  })
  from.on('end', () => {
    ended = true
    if (queue.length === 0) to.end()
  })
}
