// caddy-config's inputs: the host-wide settings are caddy:set arguments, the app, its domains, its
// labels, health path and redirects are domains:set and caddy:labels:add arguments on the host.
import { ACME_SERVERS, Inputs, readCaddyInputs, type CaddyConfig } from '../../../src/actions/caddy-config/inputs.ts'
import { GLOBAL } from '../../../src/core/dokku/forms.ts'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable } from './types.ts'

const settings = (s: unknown) => s as CaddyConfig
const firstLine = (raw: string) => raw.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#')) ?? ''
const hostName = (word: string) => word.trim().toLowerCase().replace(/\.$/, '')

export const caddyConfigInputs: ActionInputTable = {
  action: 'caddy-config',
  read: (inputs) => readCaddyInputs(inputs),
  base: { ...COMMON_BASE, 'letsencrypt-email': 'ops@example.org', app: 'uro', domains: 'uro.example.org', port: '4000' },
  baseSecrets: COMMON_SECRETS,
  cases: [
    {
      input: Inputs.letsencryptEmail,
      reaches: ['host'],
      found: (s) => settings(s).letsencryptEmail,
      send: (dokku, s) => dokku.caddy.set(GLOBAL, 'letsencrypt-email', settings(s).letsencryptEmail)
    },
    {
      input: Inputs.letsencryptServer,
      reaches: ['host', 'url'],
      found: (s) => settings(s).letsencryptServer,
      expected: (raw) => ACME_SERVERS[raw.trim().toLowerCase() as keyof typeof ACME_SERVERS] ?? new URL(raw.trim()).href,
      send: (dokku, s) => dokku.caddy.set(GLOBAL, 'letsencrypt-server', settings(s).letsencryptServer)
    },
    { input: Inputs.app, reaches: ['host'], found: (s) => settings(s).app?.app, send: (dokku, s) => dokku.apps.exists(settings(s).app?.app as string) },
    {
      input: Inputs.domains,
      lines: true,
      reaches: ['host', 'url'],
      found: (s) => settings(s).app?.domains[0],
      expected: (raw) => hostName(firstLine(raw).split(/[\s,]+/)[0] as string),
      send: (dokku, s, fx) => dokku.domains.set(fx.absentApp, settings(s).app?.domains ?? [])
    },
    {
      input: Inputs.labels,
      variant: 'name',
      lines: true,
      reaches: ['host'],
      wrap: (h) => `${h} gzip`,
      found: (s) => settings(s).app?.labels[0]?.[0],
      expected: (raw) => firstLine(raw).split(/\s+/)[0],
      send: (dokku, s, fx) => dokku.caddy.addLabel(fx.absentApp, settings(s).app?.labels[0]?.[0] as string, 'gzip')
    },
    {
      input: Inputs.labels,
      variant: 'value',
      lines: true,
      reaches: ['host'],
      wrap: (h) => `caddy.encode ${h}`,
      found: (s) => settings(s).app?.labels[0]?.[1],
      expected: (raw) => /^\S+\s+(.*\S)\s*$/.exec(firstLine(raw))?.[1],
      send: (dokku, s, fx) => dokku.caddy.addLabel(fx.absentApp, 'caddy.encode', settings(s).app?.labels[0]?.[1] as string)
    },
    {
      input: Inputs.healthPath,
      reaches: ['host', 'url'],
      found: (s) => settings(s).app?.healthPath,
      send: (dokku, s, fx) => dokku.caddy.addLabel(fx.absentApp, 'caddy.reverse_proxy.health_uri', settings(s).app?.healthPath as string)
    },
    {
      input: Inputs.redirects,
      lines: true,
      reaches: ['host', 'url'],
      wrap: (h) => `${h} uro.example.org`,
      found: (s) => settings(s).app?.redirects[0]?.from,
      expected: (raw) => hostName(firstLine(raw).split(/\s+/)[0] as string),
      send: (dokku, s, fx) => dokku.caddy.addLabel(fx.absentApp, 'caddy_1', settings(s).app?.redirects[0]?.from as string)
    }
  ]
}
