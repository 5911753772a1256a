// AWS Signature Version 4, checked the way a server checks it: the canonical request is rebuilt
// from what arrived on the wire, signed with the secret the server holds for the access key, and
// compared in constant time. Written from AWS's published algorithm ("Create a signed AWS API
// request", "Authenticating Requests: Using Query Parameters" for presigned URLs), independently
// of the SDK's signer, so a test that passes proves the client signed what it sent. The payload is
// taken as the client declared it in x-amz-content-sha256 (as S3 does); for requests without that
// header (the IAM query API) the body's SHA-256 is computed here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export interface SignedRequest {
  method: string
  /** The request target exactly as sent: raw path and raw query. */
  url: string
  headers: IncomingHttpHeaders
  /** The body, for requests whose payload hash is not declared in a header. */
  body?: Buffer
}

export interface Credential {
  accessKeyId: string
  service: string
  region: string
}

export type Verification =
  | { ok: true; credential: Credential }
  | { ok: false; code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'AuthorizationHeaderMalformed' | 'RequestTimeTooSkewed' | 'ExpiredToken'; accessKeyId?: string; message: string }

/** Which access key a request claims, or undefined for an anonymous request. */
export function claimedAccessKey(request: SignedRequest): string | undefined {
  const parsed = parseAuthorization(request)
  return parsed && 'accessKeyId' in parsed ? parsed.accessKeyId : undefined
}

interface ParsedAuth {
  accessKeyId: string
  date: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
  amzDate: string
  presigned: boolean
  expires: number | undefined
}

function parseAuthorization(request: SignedRequest): ParsedAuth | { malformed: string } | undefined {
  const header = headerValue(request.headers, 'authorization')
  const query = rawQueryPairs(request.url)
  const get = (name: string) => query.find(([k]) => k === name)?.[1]
  let credential: string | undefined
  let signedHeaders: string | undefined
  let signature: string | undefined
  let amzDate: string | undefined
  let presigned = false
  let expires: number | undefined
  if (header !== undefined) {
    const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(header.trim())
    if (!match) return { malformed: 'only AWS4-HMAC-SHA256 is accepted' }
    const parts = Object.fromEntries(
      (match[1] as string).split(',').map((p) => {
        const eq = p.indexOf('=')
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()]
      })
    )
    credential = parts.Credential
    signedHeaders = parts.SignedHeaders
    signature = parts.Signature
    amzDate = headerValue(request.headers, 'x-amz-date')
  } else if (get('X-Amz-Algorithm') !== undefined) {
    if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { malformed: 'only AWS4-HMAC-SHA256 is accepted' }
    presigned = true
    credential = decode(get('X-Amz-Credential') ?? '')
    signedHeaders = decode(get('X-Amz-SignedHeaders') ?? '')
    signature = get('X-Amz-Signature')
    amzDate = get('X-Amz-Date')
    expires = Number(get('X-Amz-Expires') ?? 'NaN')
  } else return undefined
  if (!credential || !signedHeaders || !signature || !amzDate) return { malformed: 'the credential, signed headers, signature or date is missing' }
  const scope = credential.split('/')
  if (scope.length !== 5 || scope[4] !== 'aws4_request') return { malformed: `the credential scope ${credential} is not KEY/DATE/REGION/SERVICE/aws4_request` }
  const [accessKeyId, date, region, service] = scope as [string, string, string, string]
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature, amzDate, presigned, expires }
}

/** Verifies the request's signature with `secretFor(accessKeyId)`; `now` for the clock checks. */
export function verifySigV4(request: SignedRequest, secretFor: (accessKeyId: string) => string | undefined, now = Date.now()): Verification {
  const parsed = parseAuthorization(request)
  if (parsed === undefined) return { ok: false, code: 'AccessDenied', message: 'Access Denied.' }
  if ('malformed' in parsed) return { ok: false, code: 'AuthorizationHeaderMalformed', message: parsed.malformed }
  const secret = secretFor(parsed.accessKeyId)
  if (secret === undefined)
    return { ok: false, code: 'InvalidAccessKeyId', accessKeyId: parsed.accessKeyId, message: 'The AWS access key Id you provided does not exist in our records.' }
  const signedAt = parseAmzDate(parsed.amzDate)
  if (signedAt === undefined || parsed.amzDate.slice(0, 8) !== parsed.date)
    return { ok: false, code: 'AuthorizationHeaderMalformed', accessKeyId: parsed.accessKeyId, message: 'the request date does not match the credential scope' }
  if (parsed.presigned) {
    if (!(parsed.expires !== undefined && parsed.expires > 0 && parsed.expires <= 604_800))
      return { ok: false, code: 'AuthorizationHeaderMalformed', accessKeyId: parsed.accessKeyId, message: 'X-Amz-Expires must be 1 to 604800 seconds' }
    if (now > signedAt + parsed.expires * 1000) return { ok: false, code: 'AccessDenied', accessKeyId: parsed.accessKeyId, message: 'Request has expired' }
  } else if (Math.abs(now - signedAt) > 15 * 60_000)
    return { ok: false, code: 'RequestTimeTooSkewed', accessKeyId: parsed.accessKeyId, message: 'The difference between the request time and the server time is too large.' }
  if (!parsed.signedHeaders.includes('host'))
    return { ok: false, code: 'AuthorizationHeaderMalformed', accessKeyId: parsed.accessKeyId, message: 'the host header must be signed' }

  const [rawPath = '/', rawQuery = ''] = splitTarget(request.url)
  const query = rawQueryPairs(request.url)
    .filter(([k]) => !(parsed.presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [rfc3986(decode(k)), rfc3986(decode(v))] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  void rawQuery
  const canonicalHeaders = parsed.signedHeaders.map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const payload = parsed.presigned
    ? 'UNSIGNED-PAYLOAD'
    : (headerValue(request.headers, 'x-amz-content-sha256') ?? createHash('sha256').update(request.body ?? Buffer.alloc(0)).digest('hex'))
  const canonicalPath = parsed.service === 's3' ? rawPath : normalisePath(rawPath)
  const canonical = [request.method, canonicalPath, query, canonicalHeaders, parsed.signedHeaders.join(';'), payload].join('\n')
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', parsed.amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  let key: Buffer = hmac(`AWS4${secret}`, parsed.date)
  for (const part of [parsed.region, parsed.service, 'aws4_request']) key = hmac(key, part)
  const expected = createHmac('sha256', key).update(toSign).digest()
  const given = Buffer.from(parsed.signature, 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, code: 'SignatureDoesNotMatch', accessKeyId: parsed.accessKeyId, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }
  return { ok: true, credential: { accessKeyId: parsed.accessKeyId, service: parsed.service, region: parsed.region } }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(',') : value
}

function splitTarget(url: string): [string, string] {
  const q = url.indexOf('?')
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)]
}

function rawQueryPairs(url: string): Array<[string, string]> {
  const [, query] = splitTarget(url)
  if (query === '') return []
  return query.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=')
    return eq === -1 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)]
  })
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'))
  } catch {
    return value
  }
}

/** RFC 3986 unreserved characters stay, everything else is %XX (uppercase). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Non-S3 services sign a normalised, doubly-encoded path; for `/` both forms agree. */
function normalisePath(path: string): string {
  return path === '' ? '/' : path.split('/').map((segment) => rfc3986(decode(segment))).join('/')
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (!m) return undefined
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
}
