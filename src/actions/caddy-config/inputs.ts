import { checkDomain } from '../../core/caddy/domain.js'
import { labelPathProblem } from '../../core/caddy/labels.js'
import type { AppRoutingInputs, CaddyRequest } from '../../core/caddy/plan.js'
import { TLS_MODES, type Redirect, type TlsMode } from '../../core/caddy/routing.js'
import { ConfigurationError } from '../../core/errors.js'
import { ECHO_OPTION, MAX_FORCED_COMMAND_ARGUMENT } from '../../core/ssh/quote.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { invalid, type InputReader } from '../../core/inputs/readers.js'

export const Inputs = {
  letsencryptEmail: 'letsencrypt-email',
  letsencryptServer: 'letsencrypt-server',
  tls: 'tls',
  logLevel: 'log-level',
  app: 'app',
  domains: 'domains',
  port: 'port',
  labels: 'labels',
  healthPath: 'health-path',
  redirects: 'redirects',
  verify: 'verify'
} as const

export const Outputs = {
  changed: 'changed',
  urls: 'urls',
  caddyfile: 'caddyfile',
  certificateIssuer: 'certificate-issuer'
} as const

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const

export const ACME_SERVERS = {
  production: 'https://acme-v02.api.letsencrypt.org/directory',
  staging: 'https://acme-staging-v02.api.letsencrypt.org/directory'
} as const

export interface CaddyConfig extends CommonSettings, CaddyRequest {}

/** Reads and checks every input before anything connects. */
export function readCaddyInputs(inputs: InputReader): CaddyConfig {
  const common = readCommonInputs(inputs)
  const tls = inputs.oneOf(Inputs.tls, TLS_MODES, 'acme')
  return {
    ...common,
    letsencryptEmail: readEmail(inputs),
    letsencryptServer: readServer(inputs),
    tls,
    logLevel: readLogLevel(inputs),
    app: readApp(inputs, tls),
    verify: inputs.boolean(Inputs.verify, true)
  }
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/

function readEmail(inputs: InputReader): string | undefined {
  const value = inputs.optional(Inputs.letsencryptEmail)
  if (value === undefined) return undefined
  if (!EMAIL.test(value.trim()))
    throw invalid(Inputs.letsencryptEmail, value, 'must be an email address', 'Let\'s Encrypt writes to it about expiring certificates, e.g. ops@example.org.')
  return value.trim()
}

function readServer(inputs: InputReader): string | undefined {
  const value = inputs.optional(Inputs.letsencryptServer)
  if (value === undefined) return undefined
  const named = ACME_SERVERS[value.trim().toLowerCase() as keyof typeof ACME_SERVERS]
  if (named) return named
  const url = inputs.url(Inputs.letsencryptServer, { protocols: ['https:'] }) as URL
  if (/\s/.test(value.trim())) throw invalid(Inputs.letsencryptServer, value, 'must be one URL', `For example ${ACME_SERVERS.staging}, or "staging".`)
  return url.href
}

function readLogLevel(inputs: InputReader): string | undefined {
  const value = inputs.optional(Inputs.logLevel)
  if (value === undefined) return undefined
  const level = value.trim().toUpperCase()
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw invalid(Inputs.logLevel, value, `must be one of ${LOG_LEVELS.join(', ')}`, 'INFO or DEBUG also lets the after-apply check see caddy-docker-proxy\'s "Removing invalid block".')
  return level
}

function readApp(inputs: InputReader, tls: TlsMode): AppRoutingInputs | undefined {
  const app = inputs.appName(Inputs.app)
  const perApp = [Inputs.domains, Inputs.port, Inputs.labels, Inputs.healthPath, Inputs.redirects].filter((name) => inputs.optional(name) !== undefined)
  if (app === undefined) {
    if (perApp.length > 0)
      throw new ConfigurationError(`Input "${perApp[0]}" routes an app, but input "${Inputs.app}" is empty. Name the Dokku app, e.g. app: uro.`, Inputs.app)
    return undefined
  }
  const domains = readDomains(inputs, tls)
  if (inputs.optional(Inputs.port) === undefined)
    throw new ConfigurationError(`Input "${Inputs.port}" is required with an app: the port the container listens on, e.g. 4000 for Uro.`, Inputs.port)
  const port = inputs.integer(Inputs.port, { fallback: 5000, min: 1, max: 65535 })
  const redirects = readRedirects(inputs, tls, domains)
  return { app, domains, port, labels: readLabels(inputs), healthPath: readHealthPath(inputs), redirects }
}

function readDomains(inputs: InputReader, tls: TlsMode): string[] {
  const words = inputs.list(Inputs.domains).flatMap((line) => line.split(/[\s,]+/)).filter((w) => w !== '')
  if (words.length === 0)
    throw new ConfigurationError(`Input "${Inputs.domains}" is required with an app: the host names it answers on, one a line (e.g. uro.example.org).`, Inputs.domains)
  const domains: string[] = []
  for (const word of words) {
    const domain = checkDomain(Inputs.domains, word, tls)
    if (domains.includes(domain)) throw new ConfigurationError(`Input "${Inputs.domains}" lists ${domain} twice. Keep one.`, Inputs.domains)
    domains.push(domain)
  }
  return domains
}

function readLabels(inputs: InputReader): [string, string][] {
  const labels: [string, string][] = []
  for (const line of inputs.list(Inputs.labels)) {
    const match = /^(\S+)\s+(.*\S)\s*$/.exec(line)
    if (!match)
      throw invalid(Inputs.labels, line, 'needs a line of LABEL VALUE', 'For example: caddy.handle_path /api/v1/* (Dokku cannot store a label without a value).')
    const [, label, value] = match as unknown as [string, string, string]
    if (ECHO_OPTION.test(value))
      throw invalid(Inputs.labels, line, `gives ${label} the value ${value}, which Dokku's forced command would read as an option of echo and drop`, 'Quote it inside the value for Caddy, or give the directive another argument first.')
    if (Buffer.byteLength(value) > MAX_FORCED_COMMAND_ARGUMENT)
      throw invalid(Inputs.labels, label, `has a value of ${Buffer.byteLength(value)} bytes, over the ${MAX_FORCED_COMMAND_ARGUMENT} one argument of Dokku's forced command can carry`, 'Shorten it, or put the configuration in a Caddy snippet.')
    const problem = labelPathProblem(label)
    if (problem) throw invalid(Inputs.labels, label, `is not a Caddy label path: it ${problem}`, 'For example caddy.encode, caddy.handle_path.reverse_proxy or caddy_2.redir.')
    if (labels.some(([l]) => l === label)) throw new ConfigurationError(`Input "${Inputs.labels}" sets ${label} twice. Keep one line for it.`, Inputs.labels)
    labels.push([label, value])
  }
  return labels
}

function readHealthPath(inputs: InputReader): string | undefined {
  const value = inputs.optional(Inputs.healthPath)
  if (value === undefined) return undefined
  const path = value.trim()
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/.test(path))
    throw invalid(Inputs.healthPath, value, 'must be a URL path starting with "/"', 'For example /health (Uro\'s), without a host or spaces.')
  return path
}

function readRedirects(inputs: InputReader, tls: TlsMode, domains: readonly string[]): Redirect[] {
  const redirects: Redirect[] = []
  for (const line of inputs.list(Inputs.redirects)) {
    const words = line.split(/\s+/)
    if (words.length !== 2) throw invalid(Inputs.redirects, line, 'needs a line of FROM_HOST TO_HOST', 'For example: vsekai.example.org uro.example.org')
    const from = checkDomain(Inputs.redirects, words[0] as string, tls)
    const to = checkDomain(Inputs.redirects, words[1] as string, 'acme')
    if (domains.includes(from)) throw invalid(Inputs.redirects, line, `redirects ${from}, which is also one of the app's domains`, `Remove ${from} from ${Inputs.domains} or from ${Inputs.redirects}.`)
    if (from === to) throw invalid(Inputs.redirects, line, 'redirects a host to itself', 'Name another host to redirect to.')
    if (redirects.some((r) => r.from === from)) throw new ConfigurationError(`Input "${Inputs.redirects}" redirects ${from} twice. Keep one line for it.`, Inputs.redirects)
    redirects.push({ from, to })
  }
  return redirects
}
