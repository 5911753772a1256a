// The sandbox's stand-in for a SeaweedFS container (SeaweedFS cannot run here). The simulator starts
// it instead of container.ts when the deployed tree is seaweed-provision's generated wrapper (its
// Dockerfile carries the wrapper label), with the same arguments and ready/pid files:
//   node seaweed-container.ts <root> <name> <port> <deployed> <healthy:0|1>
// On the app's port it answers what `weed mini`'s S3 port answers for the toolkit:
// - /healthz, /status, /readyz without authentication (docs/seaweedfs.md#health);
// - SigV4-authenticated S3 (verified for real, harness/sigv4-verify.ts), proxied to a fauxqs S3
//   server of its own whose files live under the container's /data, so objects outlive restarts
//   exactly when /data is a mounted storage directory;
// - SeaweedFS's identity model (docs/seaweedfs.md#identities): identities with credentials and actions
//   `Admin`, `Read[:bucket]`, `List[:bucket]`, `Write[:bucket]`; the env AWS_ACCESS_KEY_ID/
//   AWS_SECRET_ACCESS_KEY as the static identity `admin-<first 8 chars>` with Admin (auth_credentials.go
//   loadEnvironmentVariableCredentials); and, as docs/seaweedfs.md#auth-off says, no identity at all = no auth;
// - the embedded IAM API on the same port, `POST /` with `Action=…` (docs/seaweedfs.md#iam-api), the subset the toolkit
//   uses, with SeaweedFS's semantics read in seaweedfs weed/s3api/s3api_embedded_iam.go: CreateUser
//   (EntityAlreadyExists 409 on a duplicate), CreateAccessKey (AKIA + 16 upper-case characters, a
//   40-character secret; NoSuchEntity 404 for an unknown user), DeleteAccessKey (silent when absent),
//   ListAccessKeys, ListUsers, GetUser, PutUserPolicy (replaces the user's actions; only Allow;
//   `s3:Get*|List*|Put*|*` on `arn:aws:s3:::b` or `…:b/*` → Read/List/Write/Admin:b), GetUserPolicy
//   (rebuilt from the actions, resources `arn:aws:s3:::b/*`), DeleteUser; the caller must be Admin;
//   -s3.iam.readOnly=false is required for writes (a flag of the wrapper's CMD, checked here);
// - identities persisted under /data/filerldb2 (where the filer keeps /etc/iam, docs/seaweedfs.md#data), so a restart
//   keeps them and a container without a /data mount loses them.
// Not modelled: SigV2, STS, bucket policies, ListBuckets filtered per identity (every authenticated
// identity sees the list), x-amz-content-sha256 checked against the body.
// - the master's and the volume server's health endpoints on ports of their own, which `dokku enter`
//   reaches as the container's 127.0.0.1:9333 and :9340 (docs/seaweedfs.md#health, #sandbox): the
//   master's /cluster/healthz and /readyz (200 with a leader, 503 without), /cluster/status and
//   /healthz (liveness); the volume server's /healthz, /readyz (200 while it heartbeats to the master,
//   so 503 when the master has no leader) and /status.
// Test knobs: a file /data/.sandbox-fault naming S3 operations (one a line) makes them fail with 500;
// a file /data/.sandbox-unhealthy names the parts that are down, one a line: `s3` (its /healthz answers
// 503: a store that does not come up; also what an empty file means), `master` (no raft leader),
// `volume` (not heartbeating). It is read on every request, so a test can heal the store by removing it,
// and it belongs to the /data of one store, so it concerns that store's container only.
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { claimedAccessKey, verifySigV4 } from '../harness/sigv4-verify.ts'

const [root, name, portText, deployed] = process.argv.slice(2) as [string, string, string, string, string]
const port = Number(portText)
const mountedData = process.env.DOKKU_SANDBOX_INTERNAL_DATA_DIR
const dataDir = mountedData || mkdtempSync(join(tmpdir(), `seaweed-${name}-`))
const iamFile = join(dataDir, 'filerldb2', 'iam.json')
const faultFile = join(dataDir, '.sandbox-fault')
const iamWritable = (process.env.DOKKU_SANDBOX_INTERNAL_CMD ?? '').includes('-s3.iam.readOnly=false')

interface Identity {
  name: string
  credentials: Array<{ accessKey: string; secretKey: string; status: string }>
  actions: string[]
  static?: boolean
}

// ---- identities ---------------------------------------------------------------------------------

function staticIdentities(): Identity[] {
  const accessKey = process.env.AWS_ACCESS_KEY_ID
  const secretKey = process.env.AWS_SECRET_ACCESS_KEY
  if (!accessKey || !secretKey) return []
  return [{ name: `admin-${accessKey.slice(0, 8)}`, credentials: [{ accessKey, secretKey, status: 'Active' }], actions: ['Admin'], static: true }]
}

function loadDynamic(): Identity[] {
  try {
    return (JSON.parse(readFileSync(iamFile, 'utf8')) as { identities: Identity[] }).identities
  } catch {
    return []
  }
}

function saveDynamic(identities: Identity[]): void {
  mkdirSync(join(dataDir, 'filerldb2'), { recursive: true })
  writeFileSync(`${iamFile}.tmp`, JSON.stringify({ identities: identities.filter((i) => !i.static) }, null, 1))
  renameSync(`${iamFile}.tmp`, iamFile)
}

function allIdentities(): Identity[] {
  return [...staticIdentities(), ...loadDynamic()]
}

function findByKey(accessKey: string): { identity: Identity; secretKey: string } | undefined {
  for (const identity of allIdentities())
    for (const c of identity.credentials) if (c.accessKey === accessKey && c.status !== 'Inactive') return { identity, secretKey: c.secretKey }
  return undefined
}

function allowed(identity: Identity, action: string, bucket: string): boolean {
  return identity.actions.some((a) => a === 'Admin' || a === action || a === `Admin:${bucket}` || (bucket !== '' && a === `${action}:${bucket}`))
}

// ---- responses ----------------------------------------------------------------------------------

function xmlEscape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}

function s3Error(res: ServerResponse, status: number, code: string, message: string, resource: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId()}</RequestId></Error>`
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/'

function iamReply(res: ServerResponse, action: string, result: string | undefined): void {
  const inner = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${IAM_NS}">${inner}<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`
  res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

function iamError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

// ---- the IAM API ----------------------------------------------------------------------------------

const STATEMENT_ACTIONS: Record<string, string> = { '*': 'Admin', 'Put*': 'Write', 'Get*': 'Read', 'List*': 'List', 'Tagging*': 'Tagging' }
const IDENTITY_ACTIONS: Record<string, string> = Object.fromEntries(Object.entries(STATEMENT_ACTIONS).map(([k, v]) => [v, k]))

function policyActions(document: string): string[] | string {
  let policy: { Statement?: Array<{ Effect?: string; Action?: string | string[]; Resource?: string | string[] }> }
  try {
    policy = JSON.parse(document) as typeof policy
  } catch (error) {
    return (error as Error).message
  }
  const actions: string[] = []
  for (const statement of policy.Statement ?? []) {
    if (statement.Effect !== 'Allow') return `not a valid effect: '${statement.Effect ?? ''}'. Only 'Allow' is possible`
    for (const resource of [statement.Resource ?? []].flat()) {
      const parts = resource.split(':')
      if (parts.length !== 6 || parts[0] !== 'arn' || parts[1] !== 'aws' || parts[2] !== 's3') continue
      for (const action of [statement.Action ?? []].flat()) {
        const [service, verb] = action.split(':')
        if (service !== 's3' || verb === undefined) continue
        const mapped = STATEMENT_ACTIONS[verb]
        if (!mapped) return `not a valid action: '${verb}'`
        const path = parts[5] as string
        if (path === '*') actions.push(mapped)
        else {
          const [bucket, object = ''] = path.split(/\/(.*)/s) as [string, string?]
          if (bucket === '') continue
          const rest = object.replace(/\/?\*$/, '')
          actions.push(rest === '' ? `${mapped}:${bucket}` : `${mapped}:${bucket}/${rest}`)
        }
      }
    }
  }
  if (actions.length === 0) return 'no valid actions found in policy document'
  return actions
}

function rebuiltPolicy(actions: readonly string[]): string {
  const byResource = new Map<string, string[]>()
  for (const action of actions) {
    const [kind = '', bucket] = action.split(/:(.*)/s)
    const resource = bucket ? `arn:aws:s3:::${bucket}/*` : '*'
    byResource.set(resource, [...(byResource.get(resource) ?? []), `s3:${IDENTITY_ACTIONS[kind] ?? ''}`])
  }
  const statements: Array<{ Effect: string; Action: string[]; Resource: string[] }> = []
  for (const [resource, acts] of byResource) {
    const same = statements.find((s) => JSON.stringify(s.Action) === JSON.stringify(acts))
    if (same) same.Resource.push(resource)
    else statements.push({ Effect: 'Allow', Action: acts, Resource: [resource] })
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements })
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const CHARSET = `${UPPER}abcdefghijklmnopqrstuvwxyz/`

function randomString(length: number, charset: string): string {
  let out = ''
  for (let i = 0; i < length; i++) out += charset[randomInt(charset.length)]
  return out
}

function handleIam(res: ServerResponse, form: URLSearchParams, caller: Identity | undefined): void {
  const action = form.get('Action') ?? ''
  const userName = form.get('UserName') ?? ''
  if (caller && !caller.actions.includes('Admin')) return iamError(res, 403, 'AccessDenied', 'Access Denied.')
  const reads = new Set(['ListUsers', 'ListAccessKeys', 'GetUser', 'GetUserPolicy'])
  if (!reads.has(action) && !iamWritable) return iamError(res, 403, 'AccessDenied', 'IAM API is read-only (-s3.iam.readOnly)')
  const dynamic = loadDynamic()
  const everyone = [...staticIdentities(), ...dynamic]
  const user = dynamic.find((i) => i.name === userName)
  const log = (what: string) => process.stdout.write(`IAM ${action} ${what}\n`)
  switch (action) {
    case 'ListUsers':
      return iamReply(res, action, `<Users>${everyone.map((i) => `<member><UserName>${xmlEscape(i.name)}</UserName></member>`).join('')}</Users><IsTruncated>false</IsTruncated>`)
    case 'GetUser': {
      const found = everyone.find((i) => i.name === userName)
      if (!found) return iamError(res, 404, 'NoSuchEntity', `the user with name ${userName} cannot be found`)
      return iamReply(res, action, `<User><UserName>${xmlEscape(found.name)}</UserName></User>`)
    }
    case 'CreateUser':
      if (userName === '') return iamError(res, 400, 'InvalidInput', 'UserName is required')
      if (everyone.some((i) => i.name === userName)) return iamError(res, 409, 'EntityAlreadyExists', `user ${userName} already exists`)
      dynamic.push({ name: userName, credentials: [], actions: [] })
      saveDynamic(dynamic)
      log(`user=${userName}`)
      return iamReply(res, action, `<User><UserName>${xmlEscape(userName)}</UserName></User>`)
    case 'DeleteUser':
      if (!user) return iamError(res, 404, 'NoSuchEntity', `the user with name ${userName} cannot be found`)
      saveDynamic(dynamic.filter((i) => i !== user))
      log(`user=${userName}`)
      return iamReply(res, action, undefined)
    case 'CreateAccessKey': {
      if (!user) return iamError(res, 404, 'NoSuchEntity', `the user with name ${userName} cannot be found`)
      const accessKey = `AKIA${randomString(16, UPPER)}`
      const secretKey = randomString(40, CHARSET)
      user.credentials.push({ accessKey, secretKey, status: 'Active' })
      saveDynamic(dynamic)
      log(`user=${userName} key=${accessKey}`)
      return iamReply(
        res,
        action,
        `<AccessKey><UserName>${xmlEscape(userName)}</UserName><AccessKeyId>${accessKey}</AccessKeyId><Status>Active</Status><SecretAccessKey>${xmlEscape(secretKey)}</SecretAccessKey></AccessKey>`
      )
    }
    case 'DeleteAccessKey': {
      const key = form.get('AccessKeyId') ?? ''
      if (user) {
        user.credentials = user.credentials.filter((c) => c.accessKey !== key)
        saveDynamic(dynamic)
      }
      log(`user=${userName} key=${key}`)
      return iamReply(res, action, undefined)
    }
    case 'ListAccessKeys': {
      const members = everyone
        .filter((i) => userName === '' || i.name === userName)
        .flatMap((i) => i.credentials.map((c) => `<member><UserName>${xmlEscape(i.name)}</UserName><AccessKeyId>${c.accessKey}</AccessKeyId><Status>${c.status || 'Active'}</Status></member>`))
      return iamReply(res, action, `<AccessKeyMetadata>${members.join('')}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`)
    }
    case 'PutUserPolicy': {
      const actions = policyActions(form.get('PolicyDocument') ?? '')
      if (typeof actions === 'string') return iamError(res, 400, 'MalformedPolicyDocument', actions)
      if (!user) return iamError(res, 404, 'NoSuchEntity', `the user with name ${userName} cannot be found`)
      user.actions = actions
      saveDynamic(dynamic)
      log(`user=${userName} actions=${actions.join(',')}`)
      return iamReply(res, action, undefined)
    }
    case 'GetUserPolicy': {
      const found = everyone.find((i) => i.name === userName)
      if (!found || found.actions.length === 0) return iamError(res, 404, 'NoSuchEntity', `the user with name ${userName} cannot be found`)
      return iamReply(
        res,
        action,
        `<UserName>${xmlEscape(userName)}</UserName><PolicyName>${xmlEscape(form.get('PolicyName') ?? '')}</PolicyName><PolicyDocument>${xmlEscape(rebuiltPolicy(found.actions))}</PolicyDocument>`
      )
    }
    default:
      return iamError(res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented')
  }
}

// ---- S3: what each request needs ------------------------------------------------------------------

interface S3Operation {
  name: string
  action: 'Read' | 'Write' | 'List' | 'Admin'
  bucket: string
  /** CopyObject: the source bucket needs Read as well. */
  sourceBucket?: string
}

function classify(method: string, url: string, headers: IncomingMessage['headers']): S3Operation {
  const [path = '/', query = ''] = url.split('?') as [string, string?]
  const params = new URLSearchParams(query)
  const segments = path.split('/').slice(1)
  const bucket = decodeURIComponent(segments[0] ?? '')
  const key = segments.slice(1).join('/')
  if (bucket === '') return { name: 'ListBuckets', action: 'List', bucket: '' }
  if (key === '') {
    if (method === 'PUT') return { name: 'CreateBucket', action: 'Admin', bucket }
    if (method === 'DELETE') return { name: 'DeleteBucket', action: 'Admin', bucket }
    if (method === 'POST' && params.has('delete')) return { name: 'DeleteObjects', action: 'Write', bucket }
    if (method === 'HEAD') return { name: 'HeadBucket', action: 'Read', bucket }
    if (params.has('uploads')) return { name: 'ListMultipartUploads', action: 'List', bucket }
    if (params.has('location')) return { name: 'GetBucketLocation', action: 'Read', bucket }
    return { name: params.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', action: 'List', bucket }
  }
  if (method === 'GET') return { name: params.has('uploadId') ? 'ListParts' : 'GetObject', action: 'Read', bucket }
  if (method === 'HEAD') return { name: 'HeadObject', action: 'Read', bucket }
  if (method === 'DELETE') return { name: params.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject', action: 'Write', bucket }
  if (method === 'POST') return { name: params.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload', action: 'Write', bucket }
  const copySource = headers['x-amz-copy-source']
  if (typeof copySource === 'string') {
    const source = decodeURIComponent(copySource).replace(/^\//, '').split('/')[0] ?? ''
    return { name: params.has('partNumber') ? 'UploadPartCopy' : 'CopyObject', action: 'Write', bucket, sourceBucket: source }
  }
  return { name: params.has('partNumber') ? 'UploadPart' : 'PutObject', action: 'Write', bucket }
}

function faults(): Set<string> {
  try {
    return new Set(readFileSync(faultFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''))
  } catch {
    return new Set()
  }
}

// ---- master and volume server health ------------------------------------------------------------

type Part = 's3' | 'master' | 'volume'

/** The parts /data/.sandbox-unhealthy names; an empty file is the S3 gateway not coming up. */
function unhealthyParts(): Set<Part> {
  let text: string
  try {
    text = readFileSync(join(dataDir, '.sandbox-unhealthy'), 'utf8')
  } catch {
    return new Set()
  }
  const parts = text.split('\n').map((l) => l.trim()).filter((l): l is Part => l === 's3' || l === 'master' || l === 'volume')
  return new Set(parts.length > 0 ? parts : ['s3'])
}

function plain(res: ServerResponse, method: string, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'X-Sandbox-Deployed': deployed })
  res.end(method === 'HEAD' ? undefined : body)
}

function json(res: ServerResponse, method: string, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Sandbox-Deployed': deployed })
  res.end(method === 'HEAD' ? undefined : body)
}

/** The master's HTTP port: raft_server_handlers.go HealthzHandler/StatusHandler, master_server.go healthz/readyz. */
function handleMaster(req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET'
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  if (method !== 'GET' && method !== 'HEAD') return plain(res, method, 405, '')
  const leader = !unhealthyParts().has('master')
  if (path === '/cluster/healthz' || path === '/readyz') {
    if (leader) return plain(res, method, 200, '')
    process.stdout.write('master: no raft leader elected (sandbox: /data/.sandbox-unhealthy names master)\n')
    return plain(res, method, 503, '')
  }
  if (path === '/cluster/status') return json(res, method, { IsLeader: leader, ...(leader ? { Leader: '127.0.0.1:9333' } : {}), MaxVolumeId: 0 })
  if (path === '/healthz') return plain(res, method, 200, '')
  return plain(res, method, 404, '404 page not found\n')
}

/** The volume server's admin port: volume_server_handlers_admin.go healthzHandler/statusHandler. */
function handleVolume(req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET'
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  if (path === '/healthz' || path === '/readyz') {
    const parts = unhealthyParts()
    // It heartbeats to the master: without a leader there is nothing to heartbeat to.
    if (!parts.has('volume') && !parts.has('master')) return plain(res, method, 200, '')
    process.stdout.write(`volume server: not heartbeating to the master (sandbox: /data/.sandbox-unhealthy names ${parts.has('volume') ? 'volume' : 'master'})\n`)
    return plain(res, method, 503, '')
  }
  if (path === '/status') return json(res, method, { Version: 'sandbox', Volumes: [] })
  return plain(res, method, 404, '')
}

// ---- the server -------------------------------------------------------------------------------------

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host'])
const agent = new Agent({ keepAlive: true, maxSockets: 64 })
let upstreamPort = 0

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new Error('body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET'
  const url = req.url ?? '/'
  const path = url.split('?')[0] ?? '/'
  if ((method === 'GET' || method === 'HEAD') && (path === '/healthz' || path === '/status' || path === '/readyz')) {
    if (unhealthyParts().has('s3')) {
      process.stdout.write('volume server: no writable volumes (sandbox: /data/.sandbox-unhealthy)\n')
      res.writeHead(503, { 'Content-Type': 'text/plain' })
      res.end(method === 'HEAD' ? undefined : 'unhealthy\n')
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Sandbox-Deployed': deployed })
    res.end(method === 'HEAD' ? undefined : 'OK\n')
    return
  }
  const contentType = String(req.headers['content-type'] ?? '')
  const isIamCandidate = method === 'POST' && path === '/' && contentType.startsWith('application/x-www-form-urlencoded')
  const body = isIamCandidate ? await readBody(req, 1024 * 1024) : undefined
  const identities = allIdentities()
  let caller: Identity | undefined
  if (identities.length > 0) {
    const verification = verifySigV4({ method, url, headers: req.headers, ...(body ? { body } : {}) }, (key) => findByKey(key)?.secretKey)
    if (!verification.ok) {
      process.stdout.write(`denied ${method} ${path}: ${verification.code} (key ${claimedAccessKey({ method, url, headers: req.headers }) ?? 'anonymous'})\n`)
      if (isIamCandidate) return iamError(res, 403, verification.code, verification.message)
      return s3Error(res, 403, verification.code, verification.message, path)
    }
    caller = findByKey(verification.credential.accessKeyId)?.identity
  }
  if (isIamCandidate) {
    const form = new URLSearchParams((body ?? Buffer.alloc(0)).toString('utf8'))
    if (form.has('Action')) return handleIam(res, form, caller)
  }
  const operation = classify(method, url, req.headers)
  if (caller && (!allowed(caller, operation.action, operation.bucket) || (operation.sourceBucket !== undefined && !allowed(caller, 'Read', operation.sourceBucket)))) {
    process.stdout.write(`denied ${operation.name} on ${operation.bucket} for ${caller.name}\n`)
    req.resume()
    return s3Error(res, 403, 'AccessDenied', 'Access Denied.', path)
  }
  if (faults().has(operation.name)) {
    req.resume()
    return s3Error(res, 500, 'InternalError', `sandbox fault injected into ${operation.name}`, path)
  }
  const headers: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value
  headers.host = `127.0.0.1:${upstreamPort}`
  const upstream = httpRequest({ host: '127.0.0.1', port: upstreamPort, method, path: url, headers, agent }, (answer) => {
    const out: Record<string, string | string[]> = {}
    for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value
    res.writeHead(answer.statusCode ?? 502, out)
    answer.pipe(res)
  })
  upstream.on('error', (error) => {
    if (!res.headersSent) s3Error(res, 502, 'InternalError', error.message, path)
    else res.destroy()
  })
  if (body) upstream.end(body)
  else req.pipe(upstream)
}

async function startFauxqs(): Promise<number> {
  // fauxqs 2.4 listens on 0.0.0.0 (see harness/s3-server.ts): pin it to loopback.
  const originalListen = net.Server.prototype.listen
  net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
    const first = args[0]
    if (typeof first === 'object' && first !== null && (first as net.ListenOptions).host === '0.0.0.0') args[0] = { ...(first as net.ListenOptions), host: '127.0.0.1' }
    return (originalListen as (...a: unknown[]) => net.Server).apply(this, args)
  } as typeof net.Server.prototype.listen
  try {
    const { startFauxqs: start } = await import('fauxqs')
    const storage = join(dataDir, '.sandbox-fauxqs')
    mkdirSync(storage, { recursive: true })
    const server = await start({ port: 0, logger: false, s3StorageDir: storage, defaultRegion: process.env.AWS_REGION ?? 'us-east-1' })
    return server.port
  } finally {
    net.Server.prototype.listen = originalListen
  }
}

const serve = (req: IncomingMessage, res: ServerResponse): void => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) s3Error(res, 500, 'InternalError', (error as Error).message, req.url ?? '/')
    else res.destroy()
  })
}

upstreamPort = await startFauxqs()
const main = createServer(serve)
const check = createServer(serve)
const master = createServer(handleMaster)
const volume = createServer(handleVolume)
const listening = (server: ReturnType<typeof createServer>): number => {
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}
let pending = 4
const ready = (): void => {
  if (--pending > 0) return
  const checkPort = listening(check)
  // The container's own loopback ports and where the sandbox serves them: `dokku enter` maps them.
  const localPorts = { 8333: port, 9333: listening(master), 9340: listening(volume) }
  const pidFile = join(root, 'run', `${name}.pid`)
  writeFileSync(`${pidFile}.tmp`, String(process.pid), { mode: 0o666 })
  renameSync(`${pidFile}.tmp`, pidFile)
  writeFileSync(join(root, 'run', `${name}.ready`), JSON.stringify({ pid: process.pid, checkPort, localPorts }), { mode: 0o666 })
  process.stdout.write(`seaweedfs stand-in ${deployed} on ${port}, /data ${mountedData ? 'mounted' : 'inside the container (lost on restart)'}\n`)
}
const fail = (error: Error): void => {
  process.stderr.write(`container ${name}: ${error.message}\n`)
  process.exit(1)
}
for (const server of [main, check, master, volume]) server.on('error', fail)
main.listen({ host: '127.0.0.1', port, reusePort: true }, ready)
for (const server of [check, master, volume]) server.listen({ host: '127.0.0.1', port: 0 }, ready)

const stop = (): void => {
  rmSync(join(root, 'run', `${name}.ready`), { force: true })
  rmSync(join(root, 'run', `${name}.pid`), { force: true })
  if (!mountedData && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.on('SIGHUP', () => undefined)
