// seaweed-provision with `domain`: the store's own host name routed to its S3 port by the caddy
// module caddy-config uses, end to end. The SeaweedFS container is the sandbox's S3 stand-in; Dokku's
// caddy-docker-proxy is a real Caddy on loopback (test/support/caddy-stand-in.ts) that loads the
// Caddyfile the action rendered as soon as it appears, as caddy-docker-proxy reacts to new labels.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent } from 'node:https'
import type { LookupFunction } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../src/actions/seaweed-provision/main.js'
import { VERIFY_TARGET_ENV } from '../../../src/core/caddy/verify.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { runAction } from '../../support/action-run.js'
import { CaddyStandIn } from '../../support/caddy-stand-in.js'
import { changingCommands as serviceChanges, config, containerPid, deployTinyApp, dokku, inputsFor } from '../dokku-service/helpers.ts'

const sandbox = sharedSandbox()
const store = 'swd-store'
const uro = 'swd-uro'
const domain = 's3.swd.test'

let caddy: CaddyStandIn
let runnerTemp = ''
let storePort = 0

/** The commands that can change something (ps:scale without counts, caddy reads and the health checks' `enter … wget` only read). */
function changingCommands(log: string): string[] {
  return serviceChanges(log).filter((command) => !/^(ps:scale \S+( --format json)?|apps:list|caddy:labels:show|caddy:logs|enter \S+ web wget)\b/.test(command) && !/^ps:scale \S+$/.test(command))
}

async function inputs(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return inputsFor(sandbox, { app: store, endpoint: await sandbox.appUrl(store), domain, tls: 'internal', buckets: 'swd-uploads', access: `${uro} swd-uploads readwrite`, ...extra })
}

/** A Caddyfile the run rendered into RUNNER_TEMP since `before` that serves the store's domain (not the host-only preview). */
function renderedCaddyfile(before: ReadonlySet<string>): string | undefined {
  const fresh = readdirSync(runnerTemp).filter((d) => d.startsWith('caddy-config-') && !before.has(d))
  return fresh.map((d) => join(runnerTemp, d, 'Caddyfile')).find((f) => existsSync(f) && readFileSync(f, 'utf8').includes(`\n${domain} {`))
}

/**
 * Serves what the run renders: polls (bounded) for its Caddyfile and starts Caddy on it, the
 * store's container port 8333 published where the sandbox serves the store.
 */
async function serveWhenRendered(done: () => boolean): Promise<string> {
  const before = new Set(readdirSync(runnerTemp))
  const deadline = Date.now() + 600_000
  for (;;) {
    const file = renderedCaddyfile(before)
    if (file) {
      // Written, then validated: give the write a moment to finish before Caddy reads it.
      await new Promise((r) => setTimeout(r, 500))
      await caddy.start(file, { '127.0.0.1:8333': `127.0.0.1:${storePort}` })
      return file
    }
    if (done() || Date.now() > deadline) throw new Error('the run rendered no Caddyfile')
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** An S3 client that signs for https://DOMAIN:PORT and reaches it on loopback, trusting only Caddy's local CA. */
function s3ThroughCaddy(accessKeyId: string, secretAccessKey: string): S3Client {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
    else callback(null, '127.0.0.1', 4)
  }
  return new S3Client({
    endpoint: `https://${domain}:${caddy.httpsPort}`,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { httpsAgent: new Agent({ ca: caddy.rootCertificate(), lookup }) }
  })
}

beforeAll(async () => {
  caddy = await CaddyStandIn.create(sandbox.root)
  runnerTemp = await mkdtemp(join(tmpdir(), 'swd-runner-'))
  process.env.RUNNER_TEMP = runnerTemp
  storePort = await sandbox.reserveAppPort(store)
  await deployTinyApp(sandbox, uro)
  // caddy-config's part, done once per host: a Let's Encrypt email, and Caddy in place of nginx.
  // Left as they are when another test already set them (the host's settings are shared).
  const global = JSON.parse((await dokku(sandbox, 'caddy:report --global --format json')).stdout || '{}') as Record<string, string>
  if (!global['caddy-global-letsencrypt-email'] && !global['caddy-letsencrypt-email']) await dokku(sandbox, 'caddy:set --global letsencrypt-email ops@example.org')
  if ((await dokku(sandbox, 'caddy:logs --num 1')).code !== 0) {
    await dokku(sandbox, 'nginx:stop')
    await dokku(sandbox, 'caddy:start')
  }
}, 240_000)

afterAll(async () => {
  delete process.env.RUNNER_TEMP
  delete process.env[VERIFY_TARGET_ENV]
  await caddy.dispose()
  for (const app of [store, uro]) await dokku(sandbox, `--force apps:destroy ${app}`)
  await rm(runnerTemp, { recursive: true, force: true })
}, 120_000)

describe('seaweed-provision with a domain, routed by Caddy', () => {
  it('dry run: plans the route after the admin key and before the first deploy, changes nothing', async () => {
    const dry = await runAction(run, await inputs({ 'dry-run': 'true' }))
    expect(dry.error).toBeUndefined()
    const plan = dry.log.split('\n').filter((line) => /^\d+\. /.test(line))
    const at = (text: string) => plan.findIndex((line) => line.includes(text))
    expect(at(`route ${domain} to ${store}:8333 through Caddy (tls internal; the host's Caddy settings kept)`)).toBeGreaterThan(at(`set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY`))
    expect(at(`deploy ${store} from`)).toBeGreaterThan(at(`route ${domain}`))
    expect(at('map ports http:80:8333 https:443:8333')).toBeGreaterThan(-1)
    // The host is checked before anything changes (an email, Caddy running, a Caddyfile Caddy accepts).
    expect(dry.log).toContain(`Plan for Caddy: ${domain} → ${store}:8333 (the host only: ${store} does not exist yet)`)
    expect(changingCommands(dry.log)).toEqual([])
    expect((await dokku(sandbox, `apps:exists ${store}`)).code).toBe(20)
  })

  it('routes the domain with the host\'s Caddy settings, verifies it, and an app\'s key signs through Caddy; a second run plans nothing', async () => {
    process.env[VERIFY_TARGET_ENV] = `127.0.0.1:${caddy.httpPort}:${caddy.httpsPort}`
    let finished = false
    const serving = serveWhenRendered(() => finished)
    serving.catch(() => undefined) // awaited below, after the run; not an unhandled rejection meanwhile
    const first = await runAction(run, await inputs())
    finished = true
    await serving
    expect(first.error).toBeUndefined()
    expect(first.outputs).toMatchObject({ changed: 'true', 'self-test': 'passed' })
    const commands = changingCommands(first.log)
    // The route is set after the admin key is stored and before the deploy that carries its labels:
    // the store is never reachable without its identity, and it is deployed once, not rebuilt.
    const index = (prefix: string) => commands.findIndex((c) => c.startsWith(prefix))
    expect(index(`config:set --encoded --no-restart ${store} AWS_ACCESS_KEY_ID=***`)).toBeGreaterThanOrEqual(0)
    expect(index(`domains:set ${store} ${domain}`)).toBeGreaterThan(index(`config:set --encoded --no-restart ${store} AWS_ACCESS_KEY_ID=***`))
    expect(index(`git:from-archive ${store}`)).toBeGreaterThan(index(`domains:set ${store}`))
    expect(commands).toContain(`proxy:set ${store} type caddy`)
    expect(commands).toContain(`ports:set ${store} http:80:8333 https:443:8333`)
    expect(commands.filter((c) => c.startsWith('ps:rebuild'))).toEqual([])
    // Nothing host-wide: the host's Caddy keeps its email, server and log level, and keeps running.
    expect(commands.filter((c) => /^(caddy:set|caddy:start|caddy:stop|nginx:)/.test(c))).toEqual([])
    // Host kept, no path: no rewrite, no prefix, no header_up Host in the store's labels.
    const labels = (await dokku(sandbox, `caddy:labels:show ${store}`)).stdout
    expect(labels).toContain('caddy.reverse_proxy.health_uri')
    expect(labels).not.toMatch(/\.(handle_path|rewrite|uri|strip_prefix|header_up)\b/)
    expect(first.log).toMatch(new RegExp(`ok ${domain.replace(/\./g, '\\.')}: HTTPS 200, certificate from .*Caddy Local Authority`))
    expect(await config(sandbox, store)).not.toHaveProperty('S3_EXTERNAL_URL')

    // SigV4 survives the proxy: signed for https://DOMAIN:PORT, checked by the store behind Caddy.
    const uroConfig = await config(sandbox, uro)
    const client = s3ThroughCaddy(uroConfig.AWS_ACCESS_KEY_ID as string, uroConfig.AWS_SECRET_ACCESS_KEY as string)
    try {
      await client.send(new PutObjectCommand({ Bucket: 'swd-uploads', Key: 'through-caddy.txt', Body: 'signed', ContentLength: 6 }))
      const got = await client.send(new GetObjectCommand({ Bucket: 'swd-uploads', Key: 'through-caddy.txt' }))
      expect(await got.Body?.transformToString()).toBe('signed')
      const wrong = s3ThroughCaddy(uroConfig.AWS_ACCESS_KEY_ID as string, 'not-the-secret')
      await expect(wrong.send(new GetObjectCommand({ Bucket: 'swd-uploads', Key: 'through-caddy.txt' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
      wrong.destroy()
    } finally {
      client.destroy()
    }

    // ---- second run: Caddy's planner and seaweed-provision's plan nothing ----------------------------
    const storePid = await containerPid(sandbox, store)
    const second = await runAction(run, await inputs())
    expect(second.error).toBeUndefined()
    expect(second.outputs).toMatchObject({ changed: 'false' })
    expect(second.log).toContain('Nothing to do: Caddy and the routing are already as asked.')
    expect(second.log).toContain('Nothing to do: the store, its buckets and identities are as asked.')
    expect(changingCommands(second.log)).toEqual([])
    expect(await containerPid(sandbox, store)).toBe(storePid)
  }, 600_000)
})
