// The root action converging a whole stack file on the shared sandbox host, from nothing, then
// again and again: each run's plan, what the simulator received, and what the host holds after.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { prepareWorkspace } from '../../sandbox/main-job.ts'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { config, dokku } from '../dokku-service/helpers.js'
import { argvOffset, readsSince, runStack, writesSince, writeStackFile } from './fixture.js'

const sandbox = sharedSandbox()
const APP = 'stk-uro'
const DB = 'stk-db'
const REDIS = 'stk-redis'
const STORE = 'stk-store'
const NAMES = [APP, DB, REDIS, STORE]
const SECRETS = { STK_KEY_BASE: `kb-${'x'.repeat(40)}-${process.pid}`, STK_SIGNER: `sg-${'y'.repeat(30)}-${process.pid}` }

function stackText(options: { url?: string; withRedis?: boolean } = {}): string {
  const withRedis = options.withRedis ?? true
  return `version: 1
services:
  ${DB}: { engine: postgres }
${withRedis ? `  ${REDIS}: { engine: redis }\n` : ''}object-store:
  app: ${STORE}
  buckets: [stk-uploads]
  access: { ${APP}: { stk-uploads: readwrite } }
proxy: { letsencrypt-email: ops@example.org, tls: internal }
apps:
  ${APP}:
    services: [${DB}${withRedis ? `, ${REDIS}` : ''}]
    config: { URL: "${options.url ?? 'https://stk-uro.sandbox.test/api/v1/'}" }
    secrets: [STK_KEY_BASE, STK_SIGNER]
    domains: [stk-uro.sandbox.test]
    port: 5000
    storage: ["stk-uploads:/app/uploads"]
    healthcheck: { path: /health }
    deploy: { source: git }
`
}

let workspace: { dir: string; sha: string }
let stackFile: string
let endpoint: string

async function stack(extra: Record<string, string> = {}, env: Record<string, string> = SECRETS) {
  return runStack(sandbox, { 'stack-file': stackFile, 'object-store-endpoint': endpoint, ...extra }, workspace, env)
}

function planOf(output: string | undefined): { steps: { resource: string; current: string; wanted: string; action: string }[]; unmanaged: { resource: string }[] } {
  return JSON.parse(output ?? '{}')
}

beforeAll(async () => {
  workspace = prepareWorkspace()
  stackFile = await writeStackFile(stackText())
  endpoint = await sandbox.appUrl(STORE)
})

afterAll(() => {
  rmSync(workspace.dir, { recursive: true, force: true })
})

describe('the root action on a stack file', () => {
  it('refuses a secret missing from the environment before connecting, naming the variable and the line', async () => {
    const offset = argvOffset(sandbox)
    const result = await stack({}, { STK_KEY_BASE: SECRETS.STK_KEY_BASE })
    expect(result.error).toBeInstanceOf(ConfigurationError)
    expect(result.error?.message).toMatch(/dokku-stack\.yml:\d+ .*STK_SIGNER.*no variable STK_SIGNER/)
    expect(result.log).not.toContain('running dokku')
    expect(writesSince(sandbox, offset, NAMES)).toEqual([])
  })

  it('dry-run from nothing plans the stack and changes nothing', async () => {
    const offset = argvOffset(sandbox)
    const result = await stack({ 'dry-run': 'true' })
    expect(result.error).toBeUndefined()
    expect(result.outputs.changed).toBe('false')
    const plan = planOf(result.outputs.plan)
    expect(plan.steps.some((s) => s.resource === `service ${DB}` && s.current === '(absent)')).toBe(true)
    expect(plan.steps.some((s) => s.resource === `app ${APP}` && s.action === 'create')).toBe(true)
    expect(plan.steps.filter((s) => s.resource === `app ${APP}` && s.action === 'create')).toHaveLength(1)
    const secrets = plan.steps.find((s) => s.resource === `app ${APP} secrets`)
    expect(secrets?.wanted).toBe('STK_KEY_BASE=(secret, changed) STK_SIGNER=(secret, changed)')
    expect(result.outputs.plan).not.toContain(SECRETS.STK_KEY_BASE)
    expect(result.summary).toMatch(/resource\s*\|?\s*current/)
    expect(writesSince(sandbox, offset, NAMES)).toEqual([])
    expect((await dokku(sandbox, `apps:exists ${APP}`)).code).not.toBe(0)
  }, 120_000)

  it('converges the stack from nothing: services, app config and secrets, the store, links, storage, the deploy, the proxy', async () => {
    const offset = argvOffset(sandbox)
    const result = await stack()
    expect(result.error).toBeUndefined()
    expect(result.outputs.changed).toBe('true')
    // Routed before its first deploy, the app starts once, with Caddy's labels: no rebuild for the proxy.
    const appWrites = writesSince(sandbox, offset, [APP]).map((line) => line.split(' ')[0])
    expect(appWrites).toContain('caddy:labels:add')
    expect(appWrites).not.toContain('ps:rebuild')
    expect(appWrites.indexOf('caddy:labels:add')).toBeLessThan(appWrites.indexOf('git-receive-pack'))
    const env = await config(sandbox, APP)
    expect(env.URL).toBe('https://stk-uro.sandbox.test/api/v1/')
    expect(env.STK_KEY_BASE).toBe(SECRETS.STK_KEY_BASE)
    expect(env.STK_SIGNER).toBe(SECRETS.STK_SIGNER)
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\//)
    expect(env.REDIS_URL).toMatch(/^redis:\/\//)
    expect(env.AWS_S3_BUCKET).toBe('stk-uploads')
    expect((await dokku(sandbox, `storage:list ${APP} --format json`)).stdout).toContain('/app/uploads')
    const report = JSON.parse((await dokku(sandbox, `apps:report ${APP} --format json`)).stdout) as Record<string, string>
    expect(report['app-deploy-source-metadata']).toBe(workspace.sha)
    expect(JSON.parse((await dokku(sandbox, `proxy:report ${APP} --format json`)).stdout)['computed-type']).toBe('caddy')
    expect(result.everything).not.toContain(SECRETS.STK_KEY_BASE)
    expect(result.everything).not.toContain(SECRETS.STK_SIGNER)
    expect(result.summary).toMatch(/Done on the host/)
  }, 600_000)

  it('a second run plans nothing, sends no write command and no read twice', async () => {
    const offset = argvOffset(sandbox)
    const result = await stack()
    expect(result.error).toBeUndefined()
    expect(planOf(result.outputs.plan).steps).toEqual([])
    expect(result.outputs.changed).toBe('false')
    expect(writesSince(sandbox, offset, NAMES)).toEqual([])
    // The stack is observed once: every converger's reads are answered from that one observation.
    const reads = readsSince(sandbox, offset).filter((argv) => argv[0] !== 'caddy:logs')
    expect(reads.length).toBeGreaterThan(10)
    expect(reads.map((argv) => argv.join(' ')).filter((read, i, all) => all.indexOf(read) !== i)).toEqual([])
  }, 300_000)

  it('a changed config value changes only that, and restarts the app once', async () => {
    stackFile = await writeStackFile(stackText({ url: 'https://stk-uro.sandbox.test/api/v2/' }))
    const offset = argvOffset(sandbox)
    const result = await stack()
    expect(result.error).toBeUndefined()
    expect(planOf(result.outputs.plan).steps.map((s) => [s.resource, s.current, s.wanted])).toEqual([
      [`app ${APP} config`, 'URL=https://stk-uro.sandbox.test/api/v1/', 'URL=https://stk-uro.sandbox.test/api/v2/'],
      [`app ${APP}`, 'running with the old settings', 'running with the new ones']
    ])
    const writes = writesSince(sandbox, offset, NAMES)
    expect(writes.map((w) => w.split(' ')[0])).toEqual(['config:set', 'ps:restart'])
    expect((await config(sandbox, APP)).URL).toBe('https://stk-uro.sandbox.test/api/v2/')
  }, 300_000)

  it('check: a hand-made change is drift, listed, and nothing changes', async () => {
    expect((await dokku(sandbox, `config:set --no-restart ${APP} URL=https://elsewhere.test/`)).code).toBe(0)
    const offset = argvOffset(sandbox)
    const result = await stack({ check: 'true' })
    expect(result.error?.name).toBe('DriftError')
    expect(result.error?.message).toContain(`app ${APP} config: set URL (URL=https://elsewhere.test/ → URL=https://stk-uro.sandbox.test/api/v2/)`)
    expect(result.outputs.changed).toBe('false')
    expect(writesSince(sandbox, offset, NAMES)).toEqual([])
    expect((await config(sandbox, APP)).URL).toBe('https://elsewhere.test/')
    // The next converge puts it back.
    const fixed = await stack()
    expect(fixed.error).toBeUndefined()
    expect((await config(sandbox, APP)).URL).toBe('https://stk-uro.sandbox.test/api/v2/')
    expect((await stack({ check: 'true' })).error).toBeUndefined()
  }, 300_000)

  it('a service removed from the file is reported as unmanaged, never destroyed', async () => {
    stackFile = await writeStackFile(stackText({ url: 'https://stk-uro.sandbox.test/api/v2/', withRedis: false }))
    const offset = argvOffset(sandbox)
    const result = await stack({ 'dry-run': 'true' })
    expect(result.error).toBeUndefined()
    expect(planOf(result.outputs.plan).unmanaged.map((u) => u.resource)).toContain(`service ${REDIS}`)
    expect(result.log).toContain(`not managed, left as it is: service ${REDIS}`)
    const applied = await stack()
    expect(applied.error).toBeUndefined()
    expect(writesSince(sandbox, offset, [REDIS])).toEqual([])
    expect((await dokku(sandbox, `redis:exists ${REDIS}`)).code).toBe(0)
  }, 300_000)
})
