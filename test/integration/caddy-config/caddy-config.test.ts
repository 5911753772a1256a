// caddy-config end to end against the sandbox host, with a real Caddy (Debian's 2.6) standing in
// for Dokku's caddy-docker-proxy container: it loads the Caddyfile the action rendered (the only
// change: unprivileged loopback ports, its own storage, no admin endpoint, no system trust store),
// in front of the sandbox apps' real HTTP answers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/caddy-config/main.js'
import { VERIFY_TARGET_ENV, verifyDomains } from '../../../src/core/caddy/verify.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { runAction } from '../../support/action-run.js'
import { repoRoot } from '../../support/actions.js'
import { runBundle } from '../../support/bundle-run.js'
import { CaddyStandIn } from '../../support/caddy-stand-in.js'
import { inputsFor } from '../dokku-service/helpers.js'

const sandbox = sharedSandbox()
const WEB = 'caddy-e2e-web'
const SICK = 'caddy-e2e-sick'
const DUP = 'caddy-e2e-dup'
/** The dokku commands a run sent that can change something (reads left out). */
function changingCommands(log: string): string[] {
  const reads = /^(version|apps:list|--quiet|[a-z-]+:report|caddy:labels:show|caddy:logs)\b/
  return log
    .split('\n')
    .filter((line) => line.startsWith('debug: running dokku '))
    .map((line) => line.slice('debug: running dokku '.length).replace(/'/g, ''))
    .filter((command) => !reads.test(command))
}

let caddy: CaddyStandIn
let httpPort = 0
let httpsPort = 0

async function dokku(command: string): Promise<string> {
  const result = await sandbox.ssh('dokku', command)
  if (result.code !== 0) throw new Error(`dokku ${command} failed: ${result.stderr}`)
  return result.stdout
}

function inputs(app: string, domains: string, port: number, extra: Record<string, string> = {}) {
  return inputsFor(sandbox, { app, domains, port: String(port), tls: 'internal', 'letsencrypt-email': 'ops@example.org', 'log-level': 'INFO', 'health-path': '/health', ...extra })
}

async function proxyType(app: string): Promise<string> {
  return (JSON.parse(await dokku(`proxy:report ${app} --format json`)) as Record<string, string>)['computed-type'] ?? ''
}

let webPort = 0
let sickPort = 0

beforeAll(async () => {
  caddy = await CaddyStandIn.create(sandbox.root)
  httpPort = caddy.httpPort
  httpsPort = caddy.httpsPort
  webPort = await sandbox.reserveAppPort(WEB)
  sickPort = await sandbox.reserveAppPort(SICK)
  for (const app of [WEB, SICK, DUP]) await dokku(`apps:create ${app}`)
  await dokku(`git:from-image ${WEB} registry.example/acme/web:1`)
  await dokku(`git:from-image ${SICK} registry.example/acme/unhealthy:1`)
}, 180_000)

afterAll(async () => {
  await caddy.dispose()
  for (const app of [WEB, SICK, DUP]) await sandbox.ssh('dokku', `--force apps:destroy ${app}`)
}, 120_000)

describe('caddy-config against the sandbox host and a real Caddy', () => {
  it('dry run: prints the plan and the rendered Caddyfile, changes nothing', async () => {
    const result = await runAction(run, inputs(WEB, 'Web.Caddy.test', webPort, { redirects: 'old.caddy.test web.caddy.test', 'dry-run': 'true' }))
    expect(result.error).toBeUndefined()
    expect(result.log).toMatch(/Set caddy-e2e-web's domains to web.caddy.test/)
    expect(result.log).toMatch(/Rebuild caddy-e2e-web/)
    expect(result.outputs.changed).toBe('false')
    expect(changingCommands(result.log)).toEqual([])
    expect(await proxyType(WEB)).toBe('nginx')
    expect(readFileSync(result.outputs.caddyfile as string, 'utf8')).toContain(`web.caddy.test {\n\treverse_proxy 127.0.0.1:${webPort} {`)
  })

  it('applies: Caddy switched on, the app routed by labels and rebuilt once; the rendered file is what Caddy serves', async () => {
    // Another test file (seaweed-provision's domain) may have started the shared host's Caddy first.
    const caddyWasRunning = (await sandbox.ssh('dokku', 'caddy:logs --num 1')).code === 0
    const result = await runAction(run, inputs(WEB, 'web.caddy.test', webPort, { redirects: 'old.caddy.test web.caddy.test', verify: 'false' }))
    expect(result.error).toBeUndefined()
    expect(result.outputs.changed).toBe('true')
    expect(result.outputs.urls).toBe('https://web.caddy.test/')
    const commands = changingCommands(result.log)
    expect(commands.filter((c) => c.startsWith('ps:rebuild'))).toEqual([`ps:rebuild ${WEB}`])
    if (!caddyWasRunning) expect(commands).toContain('caddy:start')
    expect(await proxyType(WEB)).toBe('caddy')
    expect(await dokku(`caddy:labels:show ${WEB} caddy.tls`)).toBe('internal\n')
    await caddy.start(result.outputs.caddyfile as string)
    const answer = await caddy.httpsGetWhenReady('web.caddy.test', '/')
    expect(answer.status).toBe(200)
    expect(answer.body).toContain(WEB)
  }, 240_000)

  it('a second run changes nothing and verifies from the runner: HTTPS with a certificate for the name, HTTP redirects', async () => {
    process.env[VERIFY_TARGET_ENV] = `127.0.0.1:${httpPort}:${httpsPort}`
    try {
      const result = await runAction(run, inputs(WEB, 'web.caddy.test', webPort, { redirects: 'old.caddy.test web.caddy.test' }))
      expect(result.error).toBeUndefined()
      expect(result.outputs.changed).toBe('false')
      expect(changingCommands(result.log)).toEqual([])
      expect(result.log).toMatch(/Nothing to do/)
      expect(result.outputs['certificate-issuer']).toMatch(/Caddy Local Authority/)
      expect(result.log).toMatch(new RegExp(`ok web.caddy.test: HTTPS 200, certificate from .*Caddy Local Authority.*, HTTP 30[18] → https://web.caddy.test[:/]`))
      expect(result.log).toMatch(/ok old.caddy.test/)
      expect(result.summary).toMatch(/web\.caddy\.test/)
      // With a production ACME server the chain must be trusted: Caddy's local CA is not.
      const strict = await verifyDomains(['web.caddy.test'], [], { target: { connectHost: '127.0.0.1', httpPort, httpsPort }, trustChain: true, path: '/', timeoutMs: 8_000, intervalMs: 8_000 })
      expect(strict[0]).toMatchObject({ ok: false, problem: expect.stringMatching(/HTTPS failed: (UNABLE_TO_|SELF_SIGNED|CERT_)/) })
    } finally {
      delete process.env[VERIFY_TARGET_ENV]
    }
  }, 240_000)

  it('verify fails when caddy:logs reports a dropped block since the run started', async () => {
    // caddy-docker-proxy cannot run here: its report line is appended to the container log the
    // sandbox's caddy:logs shows, in the JSON form it logs at INFO.
    const line = JSON.stringify({ level: 'info', ts: Date.now() / 1000 + 1, logger: 'docker-proxy', msg: 'Process Caddyfile', logs: '[ERROR]  Removing invalid block: broken\nbroken.caddy.test {\n}\n' })
    const log = join(sandbox.root, 'caddy', 'container.log')
    const before = existsSync(log) ? readFileSync(log, 'utf8') : ''
    writeFileSync(log, `${line}\n`, { flag: 'a' })
    process.env[VERIFY_TARGET_ENV] = `127.0.0.1:${httpPort}:${httpsPort}`
    try {
      const result = await runAction(run, inputs(WEB, 'web.caddy.test', webPort, { redirects: 'old.caddy.test web.caddy.test' }))
      expect(result.error?.message).toMatch(/caddy:logs reports a dropped block since the change/)
      expect(result.outputs.changed).toBe('false')
    } finally {
      delete process.env[VERIFY_TARGET_ENV]
      // The host's log is shared: another test verifying a route must not read this made-up line.
      writeFileSync(log, before)
    }
  }, 240_000)

  it("Caddy's active health check keeps traffic from a container whose health path fails", async () => {
    const result = await runAction(run, inputs(SICK, 'sick.caddy.test', sickPort, { verify: 'false' }))
    expect(result.error).toBeUndefined()
    const direct = await fetch(`http://127.0.0.1:${sickPort}/`)
    expect(direct.status).toBe(200)
    await caddy.start(result.outputs.caddyfile as string)
    expect((await caddy.httpsGetWhenReady('web.caddy.test', '/')).status).toBe(200)
    const deadline = Date.now() + 90_000
    let status = 0
    while (Date.now() < deadline) {
      status = (await caddy.httpsGetWhenReady('sick.caddy.test', '/')).status
      if (status === 503 || status === 502) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    expect(status).toBeGreaterThanOrEqual(502)
  }, 180_000)

  it('refuses a second app on the same domain, and a label Caddy would drop, before changing anything', async () => {
    const dup = await runAction(run, inputs(DUP, 'web.caddy.test', webPort, { verify: 'false' }))
    expect(dup.error?.message).toMatch(/caddy-e2e-dup: web.caddy.test is claimed by caddy-e2e-dup and caddy-e2e-web/)
    expect(changingCommands(dup.log)).toEqual([])
    expect(await proxyType(DUP)).toBe('nginx')
    const bad = await runAction(run, inputs(WEB, 'web.caddy.test', webPort, { labels: 'caddy.reverse_proxy.no_such_option x', verify: 'false' }))
    expect(bad.error?.message).toMatch(/caddy-e2e-web: caddy-docker-proxy would drop the block "web.caddy.test \{"/)
    expect(bad.error?.message).toMatch(/no_such_option/)
    expect(changingCommands(bad.log)).toEqual([])
    expect(await dokku(`caddy:labels:show ${WEB} caddy.reverse_proxy.no_such_option`)).toBe('')
  }, 240_000)

  // dist/ is rebuilt by the lead after a merge (and checked fresh in CI); a bundle built before
  // caddy-config existed is the not-implemented stub.
  const bundled = existsSync(join(repoRoot, 'dist/caddy-config/index.js')) && readFileSync(join(repoRoot, 'dist/caddy-config/index.js'), 'utf8').includes('Removing invalid block')
  it.skipIf(!bundled)('the built bundle plans the same on a converged host, with the runner\'s caddy checking its Caddyfile', async () => {
    const result = await runBundle('caddy-config', { ...inputs(WEB, 'web.caddy.test', webPort, { redirects: 'old.caddy.test web.caddy.test', 'dry-run': 'true' }) })
    expect(result.stderr).not.toMatch(/ReferenceError|__dirname|ERR_/)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Nothing to do: Caddy and the routing are already as asked.')
    expect(result.stdout).toMatch(/Rendered Caddyfile \(v?2\.\d+\.\d+.*, valid\)/)
    expect(result.outputs.changed).toBe('false')
    expect(result.outputs.urls).toBe('https://web.caddy.test/')
  }, 240_000)
})
