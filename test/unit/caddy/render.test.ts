import { describe, expect, it } from 'vitest'
import { blocksFromLabels, marshal, mergeBlocks, tokenize, LabelTemplateError } from '../../../src/core/caddy/caddyfile.js'
import { containerLabels, labelPathProblem, type AppLabelSource, type CaddyGlobalSettings } from '../../../src/core/caddy/labels.js'
import { planAppRouting, portMapsWith, renderHost, type HostApp } from '../../../src/core/caddy/routing.js'
import { parsePortMaps } from '../../../src/core/dokku/parse/ports.js'

const noUpstreams = () => ['10.0.0.1:80']
const render = (labels: Record<string, string>) => marshal(blocksFromLabels(labels, noUpstreams))

const EMAIL: CaddyGlobalSettings = { letsencryptEmail: 'ops@example.org', letsencryptServer: 'https://acme-v02.api.letsencrypt.org/directory', logLevel: 'ERROR' }

describe('labels → Caddyfile (caddy-docker-proxy rules)', () => {
  it('nests label paths and sorts children alphabetically', () => {
    expect(render({ caddy: 'site.test', 'caddy.zeta': 'z', 'caddy.alpha': 'a', 'caddy.group.b': '2', 'caddy.group.a': '1' })).toBe(
      'site.test {\n\talpha a\n\tgroup {\n\t\ta 1\n\t\tb 2\n\t}\n\tzeta z\n}\n'
    )
  })

  it('orders with an N_ prefix; _N suffixes keep blocks apart, sorted by content (not by the suffix)', () => {
    expect(render({ caddy: 'site.test', 'caddy.2_first': 'x', 'caddy.1_second': 'y', 'caddy.log_1.output': 'stdout', 'caddy.log_2.output': 'stderr' })).toBe(
      'site.test {\n\tsecond y\n\tfirst x\n\tlog {\n\t\toutput stderr\n\t}\n\tlog {\n\t\toutput stdout\n\t}\n}\n'
    )
  })

  it('puts matchers first, then ordered directives', () => {
    expect(render({ caddy: 'site.test', 'caddy.respond': '@api 200', 'caddy.@api.path': '/api/*', 'caddy.1_tls': 'internal' })).toBe(
      'site.test {\n\t@api {\n\t\tpath /api/*\n\t}\n\ttls internal\n\trespond @api 200\n}\n'
    )
  })

  it('makes global options of labels without a site and puts them first', () => {
    expect(render({ 'caddy.email': 'a@b.test', caddy_1: 'z.test', 'caddy_1.respond': 'ok' })).toBe('{\n\temail a@b.test\n}\nz.test {\n\trespond ok\n}\n')
  })

  it('expands {{upstreams PORT}} into sorted addresses, with a protocol when asked', () => {
    const blocks = blocksFromLabels({ caddy: 'a.test', 'caddy.reverse_proxy': '{{ upstreams h2c 4000 }}' }, ({ protocol, port }) => [`${protocol}://172.17.0.9:${port}`, `${protocol}://172.17.0.3:${port}`])
    expect(marshal(blocks)).toBe('a.test {\n\treverse_proxy h2c://172.17.0.9:4000 h2c://172.17.0.3:4000\n}\n')
    expect(() => blocksFromLabels({ caddy: 'a.test', 'caddy.respond': '{{ .Name }}' }, noUpstreams)).toThrow(LabelTemplateError)
  })

  it('tokenizes and quotes like Caddy', () => {
    expect(tokenize('a "b c" `d"e` f\\"g')).toEqual(['a', 'b c', 'd"e', 'f"g'])
    expect(render({ caddy: 's.test', 'caddy.header': 'X-A "a b"' })).toBe('s.test {\n\theader X-A "a b"\n}\n')
  })

  it('merges site blocks by address and concatenates reverse_proxy upstreams with the same matcher', () => {
    const a = blocksFromLabels({ caddy: 'same.test', 'caddy.reverse_proxy': '/x 10.0.0.1:80', 'caddy.tls': 'internal' }, noUpstreams)
    const b = blocksFromLabels({ caddy: 'same.test', 'caddy.reverse_proxy': '/x 10.0.0.2:81', 'caddy.tls': 'internal' }, noUpstreams)
    const c = blocksFromLabels({ caddy: 'same.test', 'caddy.reverse_proxy': '/y 10.0.0.3:82' }, noUpstreams)
    mergeBlocks(a, b)
    mergeBlocks(a, c)
    expect(marshal(a)).toBe('same.test {\n\treverse_proxy /x 10.0.0.1:80 10.0.0.2:81\n\treverse_proxy /y 10.0.0.3:82\n\ttls internal\n}\n')
  })
})

describe("Dokku's generated labels", () => {
  const app = (over: Partial<AppLabelSource> = {}): AppLabelSource => ({
    proxyType: 'caddy', proxyEnabled: true, vhostsEnabled: true, domains: ['api.example.org', 'www.example.org'], ports: parsePortMaps('http:80:4000 https:443:4000'), customLabels: {}, ...over
  })

  it('with an email: the bare domains and the https:443 container port', () => {
    expect(containerLabels(app(), EMAIL).labels).toEqual({ caddy: 'api.example.org, www.example.org', 'caddy.reverse_proxy': '{{ upstreams 4000 }}' })
  })

  it('without an email: :80 sites and no HTTPS', () => {
    expect(containerLabels(app(), { ...EMAIL, letsencryptEmail: '' }).labels).toEqual({ caddy: 'api.example.org:80, www.example.org:80', 'caddy.reverse_proxy': '{{ upstreams 4000 }}' })
  })

  it('custom labels come last and win', () => {
    expect(containerLabels(app({ customLabels: { 'caddy.tls': 'internal', 'caddy.reverse_proxy': '{{ upstreams 5000 }}' } }), EMAIL).labels['caddy.reverse_proxy']).toBe('{{ upstreams 5000 }}')
  })

  it('nothing for another proxy or a disabled one; a warning without https:443', () => {
    expect(containerLabels(app({ proxyType: 'nginx' }), EMAIL).labels).toEqual({})
    expect(containerLabels(app({ proxyEnabled: false }), EMAIL).labels).toEqual({})
    expect(containerLabels(app({ ports: parsePortMaps('http:80:5000') }), EMAIL).warnings).toEqual(['Warning: https:443 port mapping not found'])
  })

  it('label paths', () => {
    expect(labelPathProblem('caddy.handle_path.reverse_proxy')).toBeUndefined()
    expect(labelPathProblem('caddy_2.@api.path')).toBeUndefined()
    expect(labelPathProblem('caddy.1_tls')).toBeUndefined()
    expect(labelPathProblem('traefik.http')).toMatch(/must start with "caddy"/)
    expect(labelPathProblem('caddy..tls')).toMatch(/empty segment/)
    expect(labelPathProblem('caddy.tls internal')).toMatch(/not a Caddyfile name/)
  })
})

describe('planAppRouting and renderHost', () => {
  const routing = planAppRouting({
    app: 'uro', domains: ['uro.example.org'], port: 4000, tls: 'internal', healthPath: '/health', redirects: [{ from: 'vsekai.example.org', to: 'uro.example.org' }]
  })

  function host(name: string, labels: Record<string, string>, domains: string[], over: Partial<HostApp> = {}): HostApp {
    return {
      app: name, deployed: true, upstreamHosts: ['172.17.0.5'], initialNetwork: '', scheduler: 'docker-local', objectStore: false,
      source: { proxyType: 'caddy', proxyEnabled: true, vhostsEnabled: true, domains, ports: parsePortMaps('http:80:4000 https:443:4000'), customLabels: labels },
      ...over
    }
  }

  it('labels carry tls internal, the health check and an isolated redirect site', () => {
    expect(routing.labels).toEqual({
      'caddy.tls': 'internal',
      'caddy.reverse_proxy.health_uri': '/health',
      'caddy.reverse_proxy.health_interval': '5s',
      'caddy.reverse_proxy.health_timeout': '5s',
      'caddy.reverse_proxy.lb_try_duration': '10s',
      caddy_1: 'vsekai.example.org',
      'caddy_1.redir': 'https://uro.example.org{uri} permanent',
      'caddy_1.tls': 'internal'
    })
    expect(portMapsWith(parsePortMaps('http:80:5000 tcp:2222:22'), routing).map((m) => `${m.scheme}:${m.hostPort}:${m.containerPort}`)).toEqual(['http:80:4000', 'https:443:4000', 'tcp:2222:22'])
  })

  it('renders the whole host: global options first, then the sites in order', () => {
    const rendered = renderHost(EMAIL, [host('uro', routing.labels, ['uro.example.org'])], new Set(['uro']))
    expect(rendered.refusals).toEqual([])
    expect(rendered.caddyfile).toBe(
      [
        '{',
        '\tacme_ca https://acme-v02.api.letsencrypt.org/directory',
        '\temail ops@example.org',
        '\tlog {',
        '\t\tformat json',
        '\t\tlevel ERROR',
        '\t}',
        '}',
        'uro.example.org {',
        '\treverse_proxy 172.17.0.5:4000 {',
        '\t\thealth_interval 5s',
        '\t\thealth_timeout 5s',
        '\t\thealth_uri /health',
        '\t\tlb_try_duration 10s',
        '\t}',
        '\ttls internal',
        '}',
        'vsekai.example.org {',
        '\tredir https://uro.example.org{uri} permanent',
        '\ttls internal',
        '}',
        ''
      ].join('\n')
    )
  })

  it('refuses two apps on one domain, naming both', () => {
    const rendered = renderHost(EMAIL, [host('uro', {}, ['api.example.org']), host('frontend', {}, ['api.example.org'])], new Set(['uro']))
    expect(rendered.refusals).toEqual([{ app: 'uro', reason: expect.stringContaining('api.example.org is claimed by frontend and uro') }])
    expect(rendered.caddyfile).toContain('reverse_proxy 172.17.0.5:4000 172.17.0.5:4000')
  })

  it('refuses k3s, another network and a path route in front of an S3 store; only warns for other apps', () => {
    const k3s = renderHost(EMAIL, [host('uro', {}, ['a.test'], { scheduler: 'k3s' })], new Set(['uro']))
    expect(k3s.refusals[0]?.reason).toMatch(/k3s/)
    const network = renderHost(EMAIL, [host('uro', {}, ['a.test'], { initialNetwork: 'private' }), host('other', {}, ['b.test'], { initialNetwork: 'x' })], new Set(['uro']))
    expect(network.refusals.map((r) => r.app)).toEqual(['uro'])
    expect(network.warnings.join('\n')).toMatch(/other: .*network "x"/)
    const s3 = renderHost(EMAIL, [host('s3', { 'caddy.handle_path': '/s3/*', 'caddy.handle_path.reverse_proxy': '{{upstreams 8333}}' }, ['files.test'], { objectStore: true })], new Set(['s3']))
    expect(s3.refusals[0]?.reason).toMatch(/S3 store and has a handle_path directive/)
  })

  it("Uro's /api/v1 handle_path merges into the frontend's site ahead of its catch-all", () => {
    const frontend = host('frontend', {}, ['vsekai.example.org'], { upstreamHosts: ['172.17.0.7'], source: { ...host('f', {}, []).source, domains: ['vsekai.example.org'], ports: parsePortMaps('http:80:3000 https:443:3000') } })
    const uro = host('uro', { caddy: 'vsekai.example.org', 'caddy.handle_path': '/api/v1/*', 'caddy.handle_path.reverse_proxy': '{{upstreams 4000}}' }, [])
    const rendered = renderHost(EMAIL, [frontend, uro], new Set(['uro']))
    expect(rendered.caddyfile).toContain('vsekai.example.org {\n\thandle_path /api/v1/* {\n\t\treverse_proxy 172.17.0.5:4000\n\t}\n\treverse_proxy 172.17.0.7:3000\n}\n')
    // one site shared on purpose, by path: not a conflict
    expect(rendered.refusals).toEqual([])
  })
})
