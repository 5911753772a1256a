// The busybox `wget` of the SeaweedFS image (Alpine, docs/seaweedfs.md#image), as `dokku enter` runs it in
// a stand-in container: the subset of options the toolkit uses, busybox's messages and exit codes
// (networking/wget.c: 0 on a 2xx answer, 1 on anything else, the reason on stderr), and the container's
// own loopback. A real container reaches its own ports on 127.0.0.1; the sandbox's stand-in serves them
// on ports of the host, given as DOKKU_SANDBOX_INTERNAL_LOCAL_PORTS ("8333=41001,9333=41002,…") by the
// simulator's `enter` (docs/seaweedfs.md#sandbox). A container port with nothing behind it refuses the
// connection, as it would in the container. Not modelled: redirects, HTTPS, proxies, other hosts.
//   wget [-q] [-O FILE] [-T SEC] URL…
import { request } from 'node:http'
import { createWriteStream, type WriteStream } from 'node:fs'

const localPorts = new Map(
  (process.env.DOKKU_SANDBOX_INTERNAL_LOCAL_PORTS ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => pair.split('=').map(Number) as [number, number])
)

function die(message: string): never {
  process.stderr.write(`wget: ${message}\n`)
  process.exit(1)
}

let quiet = false
let output: string | undefined
let timeoutS = 900
const urls: string[] = []
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string
  const value = (): string => {
    const v = args[++i]
    if (v === undefined) die(`option requires an argument -- '${arg.slice(1)}'`)
    return v
  }
  if (arg === '-q' || arg === '--quiet') quiet = true
  else if (arg === '-O' || arg === '--output-document') output = value()
  else if (arg.startsWith('-O') && arg.length > 2) output = arg.slice(2)
  else if (arg === '-T' || arg === '--timeout') timeoutS = Number(value())
  else if (arg === '--') urls.push(...args.splice(i + 1))
  else if (arg.startsWith('-') && arg !== '-') die(`unrecognized option '${arg}'`)
  else urls.push(arg)
}
if (urls.length === 0) die('missing URL')
if (!Number.isFinite(timeoutS) || timeoutS <= 0) die(`invalid number '${String(timeoutS)}'`)

function fetchOne(raw: string, sink: WriteStream | NodeJS.WriteStream | undefined): Promise<void> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    die(`bad address '${raw}'`)
  }
  if (url.protocol !== 'http:') die(`not an http or ftp url: ${raw}`)
  const host = url.hostname
  if (host !== '127.0.0.1' && host !== 'localhost') die(`bad address '${host}'`)
  const port = Number(url.port || 80)
  const where = `${host}:${port}`
  if (!quiet) process.stderr.write(`Connecting to ${where} (127.0.0.1:${port})\n`)
  const hostPort = localPorts.get(port)
  if (hostPort === undefined) die(`can't connect to remote host (127.0.0.1): Connection refused`)
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: hostPort, path: `${url.pathname}${url.search}`, method: 'GET', headers: { Host: where, 'User-Agent': 'Wget' } }, (res) => {
      const status = res.statusCode ?? 0
      if (status < 200 || status > 299) die(`server returned error: HTTP/${res.httpVersion} ${status} ${res.statusMessage ?? ''}`.trimEnd())
      if (!quiet && output !== '-') process.stderr.write(`saving to '${output ?? 'index.html'}'\n`)
      res.on('data', (chunk: Buffer) => sink?.write(chunk))
      res.on('end', () => {
        if (!quiet && output !== '-') process.stderr.write(`'${output ?? 'index.html'}' saved\n`)
        resolve()
      })
    })
    req.setTimeout(timeoutS * 1000, () => {
      req.destroy()
      die('download timed out')
    })
    req.on('error', (error: NodeJS.ErrnoException) => die(error.code === 'ECONNREFUSED' ? `can't connect to remote host (127.0.0.1): Connection refused` : error.message))
    req.end()
  })
}

const sink = output === '-' ? process.stdout : createWriteStream(output ?? 'index.html')
for (const url of urls) await fetchOne(url, sink)
if (sink !== process.stdout) await new Promise<void>((resolve) => (sink as WriteStream).end(resolve))
