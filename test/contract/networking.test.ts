// ports, domains, proxy, caddy, network (docs/dokku-contract.md#ports, #domains, #proxy, #caddy, #network).
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.ts'

const h = useSandbox({ plugins: [] })

describe('[ports] ports', () => {
  it('set/add/remove/clear/list/report', async () => {
    await h.dokku('apps:create net')
    expect(await h.dokku('ports:set net http:80:5000 https:443:5000')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect((await h.dokku('ports:report net --ports-map')).stdout).toBe('http:80:5000 https:443:5000\n')
    const dup = await h.dokku('ports:add net http:80:3000')
    expect(dup).toMatchObject({ code: 1, stderr: ' !     Error validating all port mappings: The same scheme:host-port is being reused: http:80\n' })
    expect((await h.dokku('ports:set net http:1234:1 http:1234:2')).stderr).toBe(' !     Error validating port mappings: The same scheme:host-port is being reused: http:1234\n')
    expect((await h.dokku('ports:remove net http:80')).stderr).toBe(' !     Invalid port map http:80 [len=2]\n')
    expect((await h.dokku('ports:remove net http:8080:1')).code).toBe(0)
    expect((await h.dokku('ports:list net')).stdout).toBe('-----> Port mappings for net\n    -----> scheme  host port  container port\n    http           80         5000\n    https          443        5000\n')
    expect((await h.dokku('ports:remove net 443')).code).toBe(0)
    expect((await h.dokku('ports:report net --ports-map-json')).stdout).toBe('[{"scheme":"http","host_port":80,"container_port":5000}]\n')
    expect((await h.dokku('ports:clear net')).code).toBe(0)
    expect((await h.dokku('ports:report net --ports-map')).stdout).toBe('\n')
    expect((await h.dokku('ports:report net --ports-map-json')).stdout).toBe('null\n')
    expect(await h.dokku('ports:list net')).toMatchObject({ code: 1, stderr: ' !     No port mappings configured for app\n' })
    expect((await h.dokku('ports:set nope http:80:5000')).code).toBe(20)
  })
})

describe('[domains] domains', () => {
  it('add/set/remove/clear and the Go report', async () => {
    await h.dokku('apps:create dom')
    expect((await h.dokku('domains:add dom a.example.com')).stdout).toBe('-----> Added a.example.com to dom\n')
    expect((await h.dokku('domains:add dom a.example.com')).stdout).toBe('-----> Skipping: a.example.com already added to dom\n')
    expect((await h.dokku('domains:report dom --domains-app-vhosts')).stdout).toBe('dom.sandbox.test a.example.com\n')
    expect((await h.dokku('domains:remove dom absent.example.com')).stdout).toBe('-----> Removed absent.example.com from dom\n')
    expect((await h.dokku('domains:set dom x.example.com y.example.com')).stdout).toBe('-----> Set x.example.com y.example.com for dom\n')
    expect((await h.dokku('domains:add dom http://bad')).code).toBe(1)
    expect((await h.dokku('domains:add dom')).stderr).toBe(' !     Please specify a domain name. Usage: dokku domains:add dom <domain> [<domain> ...]\n')
    expect((await h.dokku('domains:report dom')).stdout).toBe(
      '=====> dom domains information\n       Domains app enabled:           true\n       Domains app vhosts:            x.example.com y.example.com\n       Domains global enabled:        true\n       Domains global vhosts:         sandbox.test\n'
    )
    expect((await h.dokku('domains:report dom --format json')).stdout).toBe('{"app-enabled":"true","app-vhosts":"x.example.com y.example.com","global-enabled":"true","global-vhosts":"sandbox.test"}\n')
    expect((await h.dokku('domains:report dom --nope')).stderr).toBe(' !     Invalid flag passed, valid flags: --domains-app-enabled, --domains-app-vhosts, --domains-global-enabled, --domains-global-vhosts\n')
    expect((await h.dokku('domains:clear dom')).stdout).toBe('-----> Cleared domains in dom\n')
    expect((await h.dokku('urls dom')).code).toBe(0)
  })
})

describe('[proxy, caddy, caddy-labels] proxy and caddy', () => {
  it('proxy:set, legacy two-argument form, enable/disable idempotency, report', async () => {
    await h.dokku('apps:create px')
    expect((await h.dokku('proxy:set px type caddy')).stdout).toBe('=====> Setting type to caddy\n')
    expect((await h.dokku('proxy:report px --proxy-type')).stdout).toBe('caddy\n')
    expect((await h.dokku('proxy:set px http:80:5000')).stderr).toBe(' !     Detected potential port mapping instead of proxy type\n !     Consider using ports:set command or specifying a valid proxy\n')
    expect((await h.dokku('proxy:disable px')).stdout).toBe('-----> Disabling proxy for app\n')
    expect((await h.dokku('proxy:disable px')).stdout).toBe('-----> Proxy is already disable for app\n')
    expect((await h.dokku('proxy:enable px')).stdout).toBe('-----> Enabling proxy for app\n')
    expect((await h.dokku('proxy:enable px')).stdout).toBe('-----> Proxy is already enabled for app\n')
    expect(await h.dokku('proxy:build-config px')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect((await h.dokku('proxy:report px --proxy-computed-type')).stdout).toBe('caddy\n')
  })

  it('caddy:set global-only keys, unknown keys, labels, report JSON keys', async () => {
    expect((await h.dokku('caddy:set px letsencrypt-email a@b.c')).stderr).toBe(" !     The key 'letsencrypt-email' can only be set globally\n")
    expect((await h.dokku('caddy:set --global letsencrypt-email a@b.c')).stdout).toBe('=====> Setting letsencrypt-email to a@b.c\n')
    expect((await h.dokku('caddy:set --global nope x')).stderr).toBe(' !     Invalid key specified, valid keys include: image letsencrypt-email letsencrypt-server log-level polling-interval tls-internal\n')
    expect((await h.dokku('caddy:set no-such-app tls-internal true')).code).toBe(0)
    const json = JSON.parse((await h.dokku('caddy:report px --format json')).stdout) as Record<string, string>
    expect(json['computed-log-level']).toBe('ERROR')
    expect(json['computed-letsencrypt-email']).toBe('a@b.c')
    expect(json['tls-internal']).toBe('')
    expect(await h.dokku('caddy:labels:show px')).toMatchObject({ code: 0, stdout: '', stderr: ' !     No caddy labels set for px\n' })
    expect(await h.dokku('caddy:labels:add px caddy.header X-Test')).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect((await h.dokku('caddy:labels:show px')).stdout).toBe('=====> px caddy labels\n       caddy.header=X-Test\n')
    expect((await h.dokku('caddy:labels:show px caddy.header')).stdout).toBe('X-Test\n')
    expect((await h.dokku('caddy:labels:show px caddy.none')).stdout).toBe('')
    expect((await h.dokku('caddy:labels:remove px caddy.header')).code).toBe(0)
  })
})

describe('[network] network', () => {
  it('create is not idempotent; exists; set; report', async () => {
    expect((await h.dokku('network:create crdb-net')).stdout).toBe('-----> Creating network crdb-net\n')
    expect(await h.dokku('network:create crdb-net')).toMatchObject({ code: 1, stderr: ' !     Unable to create network: Error response from daemon: network with name crdb-net already exists\n' })
    expect(await h.dokku('network:exists crdb-net')).toMatchObject({ code: 0, stdout: '-----> Network exists\n' })
    expect(await h.dokku('network:exists nope')).toMatchObject({ code: 1, stderr: ' !     Network does not exist\n' })
    await h.dokku('apps:create nw')
    expect((await h.dokku('network:set nw attach-post-create crdb-net other')).stdout).toBe('=====> Setting attach-post-create to crdb-net,other\n')
    expect((await h.dokku('network:set nw attach-post-deploy bridge')).stderr).toBe(' !     Invalid network name specified for attach: bridge\n')
    expect((await h.dokku('network:set nw attach-post-deploy other')).stderr).toBe(' !     Network name already associated with this app: other\n')
    expect((await h.dokku('network:report nw --network-attach-post-create')).stdout).toBe('crdb-net,other\n')
  })
})
