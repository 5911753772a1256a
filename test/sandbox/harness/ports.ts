// Free TCP ports on 127.0.0.1. A port is free when the kernel hands it out for an ephemeral
// listen; the caller binds it moments later, so a server that can lose that race (another
// process taking the port in between) retries with a fresh port.
import { createServer } from 'node:net'

/** Ports this process handed out recently, never handed out twice (a listener may not be up yet). */
const handedOut = new Set<number>()

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await ephemeralPort()
    if (handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
  throw new Error('no free port on 127.0.0.1 after 20 attempts')
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('listen gave no port'))))
    })
  })
}
