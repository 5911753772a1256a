import { describe, expect, it } from 'vitest'
import { planApp, type AppObservation, type AppRequest } from '../../../src/core/converge/app.js'
import { findUnmanaged } from '../../../src/core/converge/unmanaged.js'

function request(extra: Partial<AppRequest> = {}): AppRequest {
  return { app: 'uro', config: { URL: 'https://uro.example.org/' }, secrets: { PHOENIX_KEY_BASE: 'kb-secret-value' }, storage: [{ source: 'uploads', target: '/app/uploads' }], ports: undefined, ...extra }
}

function observed(extra: Partial<AppObservation> = {}): AppObservation {
  return {
    exists: true,
    deployed: true,
    config: { URL: 'https://uro.example.org/', PHOENIX_KEY_BASE: 'kb-secret-value' },
    mounts: [{ entryName: 'uploads', hostPath: '/var/lib/dokku/data/storage/uploads', containerPath: '/app/uploads', readonly: false, volumeOptions: '' }],
    ports: [],
    envFile: 'godotenv-1.5.1',
    ...extra
  }
}

describe('planApp', () => {
  it('plans nothing for an app as asked', () => {
    const plan = planApp(request(), observed())
    expect(plan.steps).toEqual([])
    expect(plan.notes).toEqual([])
  })

  it('creates a missing app, sets config and secrets and mounts storage, without a restart before the first deploy', () => {
    const plan = planApp(request(), observed({ exists: false, deployed: false, config: {}, mounts: [] }))
    expect(plan.steps.map((s) => [s.resource, s.current, s.wanted, s.action])).toEqual([
      ['app uro', '(absent)', 'exists', 'create'],
      ['app uro config', 'URL=(absent)', 'URL=https://uro.example.org/', 'set URL'],
      ['app uro secrets', 'PHOENIX_KEY_BASE=(absent)', 'PHOENIX_KEY_BASE=(secret, changed)', 'set PHOENIX_KEY_BASE'],
      ['app uro storage /app/uploads', '(absent)', 'uploads', 'mount']
    ])
  })

  it('changes only the value that differs, and restarts a deployed app once', () => {
    const plan = planApp(request({ config: { URL: 'https://uro.example.org/v2/', MODE: 'prod' } }), observed({ config: { URL: 'https://uro.example.org/v2/', MODE: 'dev', PHOENIX_KEY_BASE: 'kb-secret-value' } }))
    expect(plan.steps.map((s) => [s.resource, s.current, s.wanted, s.action])).toEqual([
      ['app uro config', 'MODE=dev', 'MODE=prod', 'set MODE'],
      ['app uro', 'running with the old settings', 'running with the new ones', 'restart']
    ])
    expect(plan.steps[0]?.detail).toEqual({ kind: 'set-config', keys: ['MODE'] })
  })

  it('never shows a secret: a changed secret reads (secret) → (secret, changed), and a plain key that looks like a credential is hidden too', () => {
    const plan = planApp(request({ config: { API_TOKEN: 'plain-but-hidden' }, secrets: { PHOENIX_KEY_BASE: 'new-secret' } }), observed({ config: { PHOENIX_KEY_BASE: 'old-secret', API_TOKEN: 'old' } }))
    const text = JSON.stringify(plan.steps.map(({ resource, current, wanted, action, reason }) => ({ resource, current, wanted, action, reason })))
    for (const value of ['plain-but-hidden', 'new-secret', 'old-secret']) expect(text).not.toContain(value)
    expect(plan.steps[0]).toMatchObject({ current: 'API_TOKEN=(secret)', wanted: 'API_TOKEN=(secret, changed)' })
    expect(plan.steps[1]).toMatchObject({ current: 'PHOENIX_KEY_BASE=(secret)', wanted: 'PHOENIX_KEY_BASE=(secret, changed)' })
  })

  it('compares values as the host stores them (007 is 7 from godotenv 1.5.1)', () => {
    expect(planApp(request({ config: { N: '007' }, secrets: {} }), observed({ config: { N: '7' } })).steps).toEqual([])
  })

  it('mounts over other storage at the same path, and sets the port map when no proxy owns it', () => {
    const plan = planApp(request({ ports: ['http:80:4000'] }), observed({ deployed: false, mounts: [{ entryName: 'old', hostPath: '/x', containerPath: '/app/uploads', readonly: false, volumeOptions: '' }], ports: ['http:80:5000'] }))
    expect(plan.steps.map((s) => [s.resource, s.current, s.wanted])).toEqual([
      ['app uro storage /app/uploads', 'old', 'uploads'],
      ['app uro ports', 'http:80:5000', 'http:80:4000']
    ])
    expect(plan.notes).toEqual(['uro is not deployed: its new settings take effect on its first deploy.'])
  })
})

describe('findUnmanaged', () => {
  it('reports apps and services the file does not name, and nothing it does', () => {
    const unmanaged = findUnmanaged(
      { apps: ['uro', 'seaweedfs', 'old-app', 'crdb'], services: { postgres: ['uro-db', 'legacy-db'], redis: ['uro-redis'] } },
      { apps: new Set(['uro', 'seaweedfs', 'crdb']), services: { postgres: new Set(['uro-db']), redis: new Set(['uro-redis']) } }
    )
    expect(unmanaged.map((u) => u.resource)).toEqual(['app old-app', 'service legacy-db'])
    expect(unmanaged[1]?.note).toMatch(/postgres service .* left as it is, data included/)
  })
})
