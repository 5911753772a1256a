import { describe, expect, it } from 'vitest'
import { PlanError } from '../../../src/core/converge/plan.js'
import { readCaddyInputs } from '../../../src/actions/caddy-config/inputs.js'
import { planCaddy, renderPlan, type CaddyAppObservation, type CaddyObservation } from '../../../src/core/caddy/plan.js'
import { parsePortMaps } from '../../../src/core/dokku/parse/ports.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const PROD = 'https://acme-v02.api.letsencrypt.org/directory'

function config(extra: Record<string, string> = {}) {
  return readCaddyInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', app: 'uro', domains: 'uro.example.org', port: '4000', 'letsencrypt-email': 'ops@example.org', 'health-path': '/health', ...extra }))
}

const CONVERGED_LABELS = {
  'caddy.reverse_proxy.health_uri': '/health',
  'caddy.reverse_proxy.health_interval': '5s',
  'caddy.reverse_proxy.health_timeout': '5s',
  'caddy.reverse_proxy.lb_try_duration': '10s'
}

function uro(over: Partial<CaddyAppObservation> = {}): CaddyAppObservation {
  return {
    app: 'uro', proxyType: 'caddy', proxyEnabled: true, vhostsEnabled: true, domains: ['uro.example.org'], ports: parsePortMaps('http:80:4000 https:443:4000'),
    labels: { ...CONVERGED_LABELS }, deployed: true, upstreamHosts: ['172.17.0.5'], initialNetwork: '', scheduler: 'docker-local', ...over
  }
}

function host(over: Partial<CaddyObservation> = {}, app: Partial<CaddyAppObservation> = {}): CaddyObservation {
  return { settings: { letsencryptEmail: 'ops@example.org', letsencryptServer: PROD, logLevel: 'ERROR' }, caddyRunning: true, apps: [uro(app)], targetExists: true, ...over }
}

const kinds = (plan: ReturnType<typeof planCaddy>) => plan.steps.map((s) => s.kind)

describe('planCaddy', () => {
  it('plans nothing on a converged host', () => {
    const plan = planCaddy(config(), host())
    expect(plan.steps).toEqual([])
    expect(renderPlan(plan)).toEqual(['Nothing to do: Caddy and the routing are already as asked.'])
    expect(plan.refusals).toEqual([])
  })

  it('switches a fresh nginx host once: stop nginx, set the email, start Caddy, then route and rebuild the app', () => {
    const plan = planCaddy(
      config(),
      host({ settings: { letsencryptEmail: '', letsencryptServer: PROD, logLevel: 'ERROR' }, caddyRunning: false }, { proxyType: 'nginx', domains: ['uro.dokku.example.com'], ports: parsePortMaps('http:80:5000'), labels: {} })
    )
    expect(kinds(plan)).toEqual(['stop-nginx', 'set-global', 'start-caddy', 'set-proxy-type', 'set-domains', 'set-ports', 'add-label', 'add-label', 'add-label', 'add-label', 'rebuild'])
    expect(plan.steps.find((s) => s.kind === 'set-ports')).toMatchObject({ maps: ['http:80:4000', 'https:443:4000'] })
  })

  it('restarts Caddy (and rebuilds nothing) when only the ACME server changes', () => {
    const plan = planCaddy(config({ 'letsencrypt-server': 'staging' }), host())
    expect(kinds(plan)).toEqual(['set-global', 'restart-caddy'])
  })

  it('removes labels nobody asked for and rebuilds; tls internal adds its label', () => {
    const plan = planCaddy(config({ tls: 'internal' }), host({}, { labels: { ...CONVERGED_LABELS, 'caddy.encode': 'gzip' } }))
    expect(plan.steps.map((s) => ('label' in s ? `${s.kind} ${s.label}` : s.kind))).toEqual(['add-label caddy.tls', 'remove-label caddy.encode', 'rebuild'])
  })

  it('an app not deployed yet is configured without a rebuild', () => {
    const plan = planCaddy(config(), host({}, { deployed: false, domains: [] }))
    expect(kinds(plan)).toEqual(['set-domains'])
    expect(plan.notes).toContain('uro is not deployed yet: Caddy routes it from its first deploy.')
  })

  it('an email switch rebuilds every deployed Caddy app', () => {
    const other: CaddyAppObservation = { ...uro(), app: 'www', domains: ['www.example.org'], labels: {} }
    const plan = planCaddy(config(), { ...host({ settings: { letsencryptEmail: '', letsencryptServer: PROD, logLevel: 'ERROR' } }), apps: [uro(), other] })
    expect(plan.steps.map((s) => ('app' in s ? `${s.kind} ${s.app}` : s.kind))).toEqual(['set-global', 'restart-caddy', 'rebuild uro', 'rebuild www'])
  })

  it('a caller routing one app of a host caddy-config owns (seaweed-provision) never switches the host to Caddy', () => {
    const request = { ...config(), letsencryptEmail: undefined, logLevel: undefined, requireCaddyRunning: true }
    expect(() => planCaddy(request, host({ caddyRunning: false }))).toThrow(/Caddy is not running on the host/)
    expect(planCaddy(request, host()).steps.filter((s) => s.kind === 'set-global' || s.kind === 'stop-nginx' || s.kind === 'start-caddy')).toEqual([])
  })

  it('refuses without any email, a missing app, k3s and a shared domain', () => {
    expect(() => planCaddy(config({ 'letsencrypt-email': '' }), host({ settings: { letsencryptEmail: '', letsencryptServer: PROD, logLevel: 'ERROR' } }))).toThrow(PlanError)
    expect(() => planCaddy(config(), host({ targetExists: false }))).toThrow(/does not exist/)
    expect(planCaddy(config(), host({}, { scheduler: 'k3s' })).refusals[0]?.reason).toMatch(/k3s/)
    const squatter: CaddyAppObservation = { ...uro(), app: 'frontend', labels: {} }
    const plan = planCaddy(config(), { ...host(), apps: [uro(), squatter] })
    expect(plan.refusals).toEqual([{ app: 'uro', reason: expect.stringMatching(/uro.example.org is claimed by frontend and uro/) }])
  })
})
