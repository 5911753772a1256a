// After apply, from the runner (as a visitor would come): each domain answers over HTTPS with a
// certificate for its name, plain HTTP redirects to HTTPS, each redirected host redirects, and
// caddy-docker-proxy logged no "Removing invalid block" since the change.

import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls'
import type { Redirect } from './routing.js'
import { ConfigurationError } from '../errors.js'
import { sleep } from '../sleep.js'

/** Where the probes connect. Production: each domain itself on 80 and 443. */
export interface VerifyTarget {
  /** Connect here instead of resolving the domain (SNI and Host still name the domain). */
  readonly connectHost: string | undefined
  readonly httpPort: number
  readonly httpsPort: number
}

/**
 * For tests only: `DOKKU_STACK_CADDY_VERIFY_TARGET=127.0.0.1:8080:8443` sends the probes to a Caddy
 * listening on loopback with unprivileged ports. Unset on real runs.
 */
export const VERIFY_TARGET_ENV = 'DOKKU_STACK_CADDY_VERIFY_TARGET'

export function verifyTarget(env: NodeJS.ProcessEnv = process.env): VerifyTarget {
  const value = env[VERIFY_TARGET_ENV]
  if (!value) return { connectHost: undefined, httpPort: 80, httpsPort: 443 }
  const match = /^([^:\s]+):(\d{1,5}):(\d{1,5})$/.exec(value)
  if (!match) throw new ConfigurationError(`${VERIFY_TARGET_ENV} must be HOST:HTTP_PORT:HTTPS_PORT (e.g. 127.0.0.1:8080:8443); got ${JSON.stringify(value)}.`)
  return { connectHost: match[1], httpPort: Number(match[2]), httpsPort: Number(match[3]) }
}

export interface CertificateSeen {
  readonly subject: string
  readonly issuer: string
  readonly names: string
  readonly validTo: string
}

export interface DomainCheck {
  readonly domain: string
  readonly ok: boolean
  /** What went wrong on the last attempt ('' when ok). */
  readonly problem: string
  readonly httpsStatus: number | undefined
  readonly certificate: CertificateSeen | undefined
  readonly redirectStatus: number | undefined
  readonly redirectLocation: string | undefined
}

interface Probe {
  status: number | undefined
  location: string | undefined
  certificate: PeerCertificate | undefined
  error: string | undefined
}

function hostHeader(domain: string, port: number, standard: number): string {
  return port === standard ? domain : `${domain}:${port}`
}

function probe(url: { https: boolean; domain: string; path: string }, target: VerifyTarget, trust: boolean, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const port = url.https ? target.httpsPort : target.httpPort
    const options = {
      host: target.connectHost ?? url.domain,
      port,
      path: url.path,
      method: 'GET',
      agent: false as const,
      headers: { host: hostHeader(url.domain, port, url.https ? 443 : 80), 'user-agent': 'dokku-stack-caddy-config' },
      timeout: timeoutMs,
      ...(url.https ? { servername: url.domain, rejectUnauthorized: trust } : {})
    }
    const req = (url.https ? httpsRequest : httpRequest)(options, (res) => {
      const certificate = url.https ? (res.socket as TLSSocket).getPeerCertificate() : undefined
      res.resume()
      resolve({ status: res.statusCode, location: res.headers.location, certificate: certificate && Object.keys(certificate).length > 0 ? certificate : undefined, error: undefined })
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: undefined, location: undefined, certificate: undefined, error: error.code ?? error.message }))
    req.end()
  })
}

function describeCertificate(cert: PeerCertificate): CertificateSeen {
  const name = (entity: PeerCertificate['subject'] | undefined): string => [entity?.O, entity?.CN].filter((v) => v).join(' ') || '(unnamed)'
  return { subject: name(cert.subject), issuer: name(cert.issuer), names: cert.subjectaltname ?? '', validTo: cert.valid_to }
}

export interface VerifyOptions {
  readonly target: VerifyTarget
  /** Require a chain the runner trusts (production ACME); otherwise only the name is checked. */
  readonly trustChain: boolean
  /** Probed over HTTPS on each domain (default `/`). */
  readonly path: string
  /** How long to keep trying: caddy-docker-proxy polls every 5 s, and an ACME order takes a while. */
  readonly timeoutMs: number
  readonly intervalMs: number
  readonly onAttempt?: (message: string) => void
}

/**
 * One domain: HTTPS answers below 500 (Caddy answers 502/503 when the app does not) with a
 * certificate naming the domain (trusted by the runner for a production ACME server; for Caddy's
 * local CA or a staging CA only the name is checked), and HTTP redirects to HTTPS on the same host.
 * A redirected host must instead answer 301/308 towards its target.
 */
async function checkOnce(domain: string, redirectTo: string | undefined, options: VerifyOptions): Promise<DomainCheck> {
  const requestTimeout = Math.min(10_000, options.timeoutMs)
  const secure = await probe({ https: true, domain, path: redirectTo ? '/' : options.path }, options.target, options.trustChain, requestTimeout)
  const base = { domain, httpsStatus: secure.status, certificate: secure.certificate ? describeCertificate(secure.certificate) : undefined }
  const fail = (problem: string, redirect?: Probe): DomainCheck => ({ ...base, ok: false, problem, redirectStatus: redirect?.status, redirectLocation: redirect?.location })
  if (secure.error) return fail(`HTTPS failed: ${secure.error}`)
  if (!secure.certificate) return fail('HTTPS answered without a certificate')
  const identity = checkServerIdentity(domain, secure.certificate)
  if (identity) return fail(`the certificate does not name ${domain} (${secure.certificate.subjectaltname ?? 'no names'})`)
  if (redirectTo) {
    if (secure.status !== 301 && secure.status !== 308) return fail(`expected a redirect to ${redirectTo}, got HTTP ${secure.status}`)
    if (!(secure.location ?? '').startsWith(`https://${redirectTo}`)) return fail(`redirects to ${secure.location ?? '(nowhere)'} instead of https://${redirectTo}`)
  } else if (secure.status === undefined || secure.status >= 500) return fail(`HTTPS ${options.path} answered ${secure.status}: Caddy is up, the app behind it is not`)
  const plain = await probe({ https: false, domain, path: '/' }, options.target, false, requestTimeout)
  if (plain.error) return fail(`HTTP failed: ${plain.error}`, plain)
  // The same host over HTTPS, with or without a port (Caddy 2.6 leaves a non-standard one out).
  const location = plain.location ?? ''
  const toHttps = redirectTo ? location.startsWith('https://') : location.startsWith(`https://${domain}/`) || location.startsWith(`https://${domain}:`)
  if (!(plain.status === 301 || plain.status === 302 || plain.status === 307 || plain.status === 308) || !toHttps)
    return fail(`HTTP did not redirect to ${redirectTo ? 'HTTPS' : `https://${domain}/`} (HTTP ${plain.status}, Location ${plain.location ?? 'none'})`, plain)
  return { ...base, ok: true, problem: '', redirectStatus: plain.status, redirectLocation: plain.location }
}

export async function verifyDomains(domains: readonly string[], redirects: readonly Redirect[], options: VerifyOptions): Promise<DomainCheck[]> {
  const started = Date.now()
  const wanted: [string, string | undefined][] = [...domains.map((d): [string, undefined] => [d, undefined]), ...redirects.map((r): [string, string] => [r.from, r.to])]
  const results = new Map<string, DomainCheck>()
  for (let attempt = 1; ; attempt++) {
    const pending = wanted.filter(([d]) => !results.get(d)?.ok)
    for (const [domain, to] of pending) {
      const check = await checkOnce(domain, to, options)
      results.set(domain, check)
      if (!check.ok) options.onAttempt?.(`attempt ${attempt}: ${domain}: ${check.problem}`)
    }
    if (wanted.every(([d]) => results.get(d)?.ok) || Date.now() - started >= options.timeoutMs) break
    await sleep(Math.min(options.intervalMs, Math.max(0, options.timeoutMs - (Date.now() - started))))
  }
  return wanted.map(([d]) => results.get(d) as DomainCheck)
}

/**
 * Lines of `caddy:logs` that report a dropped site block, logged at or after `since` (epoch ms).
 * caddy-docker-proxy logs JSON with a `ts` in seconds; a line without one counts, to be safe.
 */
export function invalidBlockLines(logs: string, since: number): string[] {
  return logs
    .split('\n')
    .filter((line) => line.includes('Removing invalid block'))
    .filter((line) => {
      const ts = /"ts"\s*:\s*([0-9.]+)/.exec(line)?.[1]
      return ts === undefined || Number(ts) * 1000 >= since
    })
}
