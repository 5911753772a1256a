// A site's host name as Caddy needs it, checked where an input is read: caddy-config's domains and
// redirects, seaweed-provision's store domain.
import { invalid, isHostname } from '../inputs/readers.js'
import type { TlsMode } from './routing.js'

/**
 * A host name Caddy can get a certificate for: lower case, no scheme, path or port; a wildcard only
 * as the whole first label and only with `tls: internal` (Let's Encrypt issues wildcards only
 * through DNS challenges, which Dokku's Caddy image cannot answer).
 */
export function checkDomain(input: string, raw: string, tls: TlsMode): string {
  const value = raw.trim()
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw invalid(input, raw, 'must be a host name, not a URL', `Drop the scheme: ${value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/[/:].*$/, '')}.`)
  if (value.includes('/')) throw invalid(input, raw, 'must be a host name without a path', `Use ${value.slice(0, value.indexOf('/'))}; route paths with labels (caddy.handle_path).`)
  if (/:\d*$/.test(value)) throw invalid(input, raw, 'must be a host name without a port', 'Caddy serves HTTPS on 443 and HTTP on 80; drop the port.')
  const domain = value.toLowerCase().replace(/\.$/, '')
  const wildcard = domain.startsWith('*.')
  const rest = wildcard ? domain.slice(2) : domain
  if (domain.includes('*') && !wildcard) throw invalid(input, raw, 'has a "*" that is not the whole first label', 'Use *.example.org, or list the host names.')
  if (!isHostname(rest) || /^[\d.]+$/.test(rest) || !rest.includes('.'))
    throw invalid(input, raw, 'must be a fully qualified host name', 'For example uro.example.org (letters, digits and hyphens between dots).')
  if (wildcard && tls === 'acme')
    throw invalid(input, raw, 'is a wildcard, which Let\'s Encrypt issues only through a DNS challenge that Dokku\'s Caddy cannot answer', 'List each host name, or use tls: internal.')
  if (wildcard && rest.split('.').length < 2) throw invalid(input, raw, 'is a wildcard over a top-level domain', 'Use *.example.org at least.')
  return domain
}
