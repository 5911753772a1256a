// SeaweedFS's embedded IAM API on the S3 port (docs/seaweedfs.md#iam-api): the AWS IAM query
// API (`POST /`, form-encoded `Action=…&Version=2010-05-08`), SigV4-signed with service `iam`, the
// caller an Admin identity. Changes take effect live, without restarting the store. The subset here
// is what seaweed-provision needs; semantics as read in seaweedfs weed/s3api/s3api_embedded_iam.go:
// CreateUser answers EntityAlreadyExists (409) for a duplicate, PutUserPolicy replaces the user's
// actions, DeleteAccessKey succeeds for an absent key, GetUserPolicy rebuilds a document from the
// stored actions.
import { createHash, createHmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { registerSecret } from '../secrets.js'
import { canonicalActions } from './recipe.js'

export interface AccessKey {
  accessKeyId: string
  secretAccessKey: string
}

export class IamError extends Error {
  readonly code: string
  readonly status: number
  constructor(action: string, status: number, code: string, message: string) {
    super(`SeaweedFS IAM ${action} failed (${status} ${code}): ${message}`)
    this.name = 'IamError'
    this.code = code
    this.status = status
  }
}

/** node:crypto behind the SDK signer's checksum interface. */
export class NodeSha256 {
  private readonly hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data))
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest())
  }
  reset(): void {
    throw new Error('not supported')
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export class SeaweedIam {
  private readonly url: URL
  private readonly signer: SignatureV4
  private readonly timeoutMs: number

  constructor(endpoint: string, region: string, admin: AccessKey, options: { timeoutMs?: number } = {}) {
    registerSecret(admin.secretAccessKey)
    this.url = new URL('/', endpoint)
    this.signer = new SignatureV4({ service: 'iam', region, credentials: admin, sha256: NodeSha256 })
    this.timeoutMs = options.timeoutMs ?? 30_000
  }

  async listUsers(): Promise<string[]> {
    return tagValues(await this.call('ListUsers', {}), 'UserName')
  }

  /** 'exists' when a user of that name is there already. */
  async createUser(userName: string): Promise<'created' | 'exists'> {
    try {
      await this.call('CreateUser', { UserName: userName })
      return 'created'
    } catch (error) {
      if (error instanceof IamError && error.code === 'EntityAlreadyExists') return 'exists'
      throw error
    }
  }

  /** A new key pair; the secret is registered before anything can print it. */
  async createAccessKey(userName: string): Promise<AccessKey> {
    const xml = await this.call('CreateAccessKey', { UserName: userName })
    const secretAccessKey = tagValues(xml, 'SecretAccessKey')[0]
    registerSecret(secretAccessKey)
    const accessKeyId = tagValues(xml, 'AccessKeyId')[0]
    if (!accessKeyId || !secretAccessKey) throw new IamError('CreateAccessKey', 200, 'MalformedResponse', 'the answer holds no access key')
    return { accessKeyId, secretAccessKey }
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    await this.call('DeleteAccessKey', { UserName: userName, AccessKeyId: accessKeyId })
  }

  async listAccessKeys(userName: string): Promise<string[]> {
    return tagValues(await this.call('ListAccessKeys', { UserName: userName }), 'AccessKeyId')
  }

  async putUserPolicy(userName: string, policyName: string, document: string): Promise<void> {
    await this.call('PutUserPolicy', { UserName: userName, PolicyName: policyName, PolicyDocument: document })
  }

  /**
   * The identity actions the user holds (`Read:bucket`, …), read back from GetUserPolicy's rebuilt
   * document; [] when the user has none (SeaweedFS answers NoSuchEntity then).
   */
  async userActions(userName: string, policyName: string): Promise<string[]> {
    let xml: string
    try {
      xml = await this.call('GetUserPolicy', { UserName: userName, PolicyName: policyName })
    } catch (error) {
      if (error instanceof IamError && error.code === 'NoSuchEntity') return []
      throw error
    }
    return actionsOfPolicy(tagValues(xml, 'PolicyDocument')[0] ?? '{}')
  }

  private async call(action: string, params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString()
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: '/',
      query: {},
      headers: { host: this.url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body
    })
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'))
    let response: Response
    try {
      response = await fetch(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) })
    } catch (error) {
      throw new Error(`SeaweedFS IAM ${action} could not reach ${this.url.origin}: ${(error as Error).message}`, { cause: error })
    }
    const text = await response.text()
    if (!response.ok) throw new IamError(action, response.status, tagValues(text, 'Code')[0] ?? 'Unknown', tagValues(text, 'Message')[0] ?? text.slice(0, 200))
    return text
  }
}

/** The identity actions a policy document grants, as SeaweedFS maps them. */
export function actionsOfPolicy(document: string): string[] {
  const verbs: Record<string, string> = { '*': 'Admin', 'Put*': 'Write', 'Get*': 'Read', 'List*': 'List', 'Tagging*': 'Tagging' }
  let policy: { Statement?: Array<{ Effect?: string; Action?: string | string[]; Resource?: string | string[] }> }
  try {
    policy = JSON.parse(document) as typeof policy
  } catch {
    return []
  }
  const actions: string[] = []
  for (const statement of policy.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue
    for (const resource of [statement.Resource ?? []].flat()) {
      const bucket = resource === '*' ? '' : /^arn:aws:s3:::([^/]+)(?:\/\*)?$/.exec(resource)?.[1]
      if (bucket === undefined) continue
      for (const action of [statement.Action ?? []].flat()) {
        const verb = verbs[action.replace(/^s3:/, '')]
        if (verb) actions.push(bucket === '' ? verb : `${verb}:${bucket}`)
      }
    }
  }
  return canonicalActions(actions)
}

function tagValues(xml: string, tag: string): string[] {
  const out: string[] = []
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g')
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(unescapeXml(m[1] as string))
  return out
}

function unescapeXml(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&')
}
