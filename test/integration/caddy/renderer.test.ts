// The renderer's output checked by the real Caddy on this machine (Debian's 2.6.2), block by
// block the way caddy-docker-proxy does and then with `caddy adapt --validate`.
import { describe, expect, it } from 'vitest'
import { blocksFromLabels, marshal, mergeBlocks } from '../../../src/core/caddy/caddyfile.js'
import type { CaddyGlobalSettings } from '../../../src/core/caddy/labels.js'
import { planAppRouting, renderHost, type HostApp } from '../../../src/core/caddy/routing.js'
import { adaptCaddyfile, caddyVersion, validateBlocks } from '../../../src/core/caddy/validate.js'
import { parsePortMaps } from '../../../src/core/dokku/parse/ports.js'

const EMAIL: CaddyGlobalSettings = { letsencryptEmail: 'ops@example.org', letsencryptServer: 'https://acme-staging-v02.api.letsencrypt.org/directory', logLevel: 'ERROR' }

function app(name: string, labels: Record<string, string>, domains: string[], port = 4000, upstream = '172.17.0.5'): HostApp {
  return {
    app: name, deployed: true, upstreamHosts: [upstream], initialNetwork: '', scheduler: 'docker-local', objectStore: false,
    source: { proxyType: 'caddy', proxyEnabled: true, vhostsEnabled: true, domains, ports: parsePortMaps(`http:80:${port} https:443:${port}`), customLabels: labels }
  }
}

describe('rendered Caddyfiles under a real caddy', () => {
  it('is Caddy 2.6 or later', async () => {
    expect(await caddyVersion()).toMatch(/^v?2\.(6|7|8|9|1\d)\./)
  })

  it("adapts the toolkit's own labels: tls internal, health checks, redirects, two apps", async () => {
    const uro = planAppRouting({ app: 'uro', domains: ['uro.example.org'], port: 4000, tls: 'internal', healthPath: '/health', redirects: [{ from: 'vsekai.example.org', to: 'uro.example.org' }] })
    const s3 = planAppRouting({ app: 's3', domains: ['s3.example.org'], port: 8333, tls: 'acme', objectStore: true })
    const rendered = renderHost(EMAIL, [app('uro', uro.labels, uro.domains as string[]), app('s3', s3.labels, ['s3.example.org'], 8333, '172.17.0.6')], new Set(['uro', 's3']))
    expect(rendered.refusals).toEqual([])
    const result = await validateBlocks(rendered.blocks)
    expect(result.dropped).toEqual([])
    expect(result.validate).toEqual({ ok: true, error: '' })
  })

  it('the no-email shape drops tls internal silently (why the toolkit requires an email)', async () => {
    const uro = planAppRouting({ app: 'uro', domains: ['uro.example.org'], port: 4000, tls: 'internal' })
    const rendered = renderHost({ ...EMAIL, letsencryptEmail: '' }, [app('uro', uro.labels, ['uro.example.org'])], new Set(['uro']))
    expect(rendered.caddyfile).toContain('uro.example.org:80 {')
    expect(rendered.caddyfile).toContain('auto_https off')
    // Valid, and therefore silent: the site is plain HTTP on :80 whatever the tls label says.
    expect((await validateBlocks(rendered.blocks)).validate.ok).toBe(true)
    expect(JSON.stringify(await adaptJson(rendered.caddyfile))).not.toContain('"internal"')
    const withEmail = renderHost(EMAIL, [app('uro', uro.labels, ['uro.example.org'])], new Set(['uro']))
    expect(JSON.stringify(await adaptJson(withEmail.caddyfile))).toContain('"module":"internal"')
  })

  it('merged site blocks (one address, two apps, two matchers) and isolated labels validate', async () => {
    const a = blocksFromLabels({ caddy: 'shared.example.org', 'caddy.@api.path': '/api/*', 'caddy.reverse_proxy': '@api {{upstreams 4000}}', 'caddy.1_tls': 'internal' }, () => ['172.17.0.5:4000'])
    const b = blocksFromLabels({ caddy: 'shared.example.org', 'caddy.reverse_proxy': '{{upstreams 3000}}', 'caddy.header_1': 'X-One 1', 'caddy.header_2': 'X-Two 2', 'caddy.1_tls': 'internal' }, () => ['172.17.0.7:3000'])
    mergeBlocks(a, b)
    const text = marshal(a)
    expect(text).toBe(
      'shared.example.org {\n\t@api {\n\t\tpath /api/*\n\t}\n\ttls internal\n\theader X-One 1\n\theader X-Two 2\n\treverse_proxy 172.17.0.7:3000\n\treverse_proxy @api 172.17.0.5:4000\n}\n'
    )
    expect(await adaptCaddyfile(text, { validate: true })).toEqual({ ok: true, error: '' })
  })

  it("Uro's handle_path /api/v1 ahead of the frontend's catch-all: the adapted route strips the prefix first", async () => {
    const frontend = app('frontend', {}, ['vsekai.example.org'], 3000, '172.17.0.7')
    const uro = app('uro', { caddy: 'vsekai.example.org', 'caddy.handle_path': '/api/v1/*', 'caddy.handle_path.reverse_proxy': '{{upstreams 4000}}' }, [])
    const rendered = renderHost(EMAIL, [frontend, uro], new Set(['uro']))
    expect(rendered.refusals).toEqual([])
    const result = await validateBlocks(rendered.blocks)
    expect(result.dropped).toEqual([])
    expect(result.validate.ok).toBe(true)
    const json = await adaptJson(rendered.caddyfile)
    const routes = JSON.stringify(json)
    expect(routes.indexOf('strip_path_prefix')).toBeGreaterThan(-1)
    expect(routes.indexOf('172.17.0.5:4000')).toBeLessThan(routes.indexOf('172.17.0.7:3000'))
  })

  it('finds the block caddy-docker-proxy would drop, and keeps the others', async () => {
    const good = app('good', {}, ['good.example.org'])
    const bad = app('bad', { 'caddy.reverse_proxy.health_uri': '/health', 'caddy.reverse_proxy.no_such_option': 'x' }, ['bad.example.org'], 4000, '172.17.0.8')
    const rendered = renderHost(EMAIL, [good, bad], new Set(['bad']))
    const result = await validateBlocks(rendered.blocks)
    expect(result.dropped.map((d) => d.head)).toEqual(['bad.example.org {'])
    expect(result.dropped[0]?.error).toMatch(/no_such_option/)
    expect(result.validate.ok).toBe(true)
  })
})

async function adaptJson(text: string): Promise<unknown> {
  const { spawnSync } = await import('node:child_process')
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(`${tmpdir()}/caddy-json-`)
  try {
    writeFileSync(`${dir}/Caddyfile`, text)
    const out = spawnSync('caddy', ['adapt', '--adapter', 'caddyfile', '--config', `${dir}/Caddyfile`], { encoding: 'utf8' })
    return JSON.parse(out.stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
