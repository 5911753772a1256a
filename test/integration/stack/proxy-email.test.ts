// The stack's preflight (src/actions/stack/converge.ts, readCaddySettings): a stack that routes
// domains through Caddy with Let's Encrypt certificates, on a host with no Let's Encrypt email and a
// file that sets none, is refused before the first change — not after the services, apps and
// deploys have been applied and only the proxy stage finds it out.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { prepareWorkspace } from '../../sandbox/main-job.ts'
import { dokku } from '../dokku-service/helpers.js'
import { argvOffset, runStack, writesSince, writeStackFile } from './fixture.js'

const sandbox = sharedSandbox()
const APP = 'pf-web'
const DB = 'pf-db'
const SECRETS = { PF_KEY_BASE: `pf-${'z'.repeat(40)}-${process.pid}` }

const STACK = `version: 1
services:
  ${DB}: { engine: postgres }
proxy: { tls: letsencrypt }
apps:
  ${APP}:
    services: [${DB}]
    config: { URL: "https://${APP}.sandbox.test/" }
    secrets: [PF_KEY_BASE]
    domains: [${APP}.sandbox.test]
    port: 5000
    storage: ["${APP}-data:/app/data"]
    deploy: { source: git }
`

let workspace: { dir: string; sha: string }
/** The host's global Let's Encrypt email before the test (other tests on this sandbox set one), put back after. */
let hostEmail = ''

async function globalEmail(): Promise<string> {
  const report = await dokku(sandbox, 'caddy:report --global --format json')
  expect(report.code).toBe(0)
  const fields = JSON.parse(report.stdout) as Record<string, string>
  // The key is there whether or not it is set: a misspelt key would read as "no email" for ever.
  expect(Object.keys(fields)).toContain('global-letsencrypt-email')
  return fields['global-letsencrypt-email'] as string
}

beforeAll(async () => {
  workspace = prepareWorkspace()
  hostEmail = await globalEmail()
  if (hostEmail !== '') expect((await dokku(sandbox, 'caddy:set --global letsencrypt-email')).code).toBe(0)
})

afterAll(async () => {
  rmSync(workspace.dir, { recursive: true, force: true })
  if (hostEmail !== '') await dokku(sandbox, `caddy:set --global letsencrypt-email ${hostEmail}`)
})

describe("the stack's preflight", () => {
  it("refuses routed domains without a Let's Encrypt email on the host or in the file, before the first change", async () => {
    expect(await globalEmail()).toBe('')
    const stackFile = await writeStackFile(STACK)
    const offset = argvOffset(sandbox)
    const result = await runStack(sandbox, { 'stack-file': stackFile }, workspace, SECRETS)

    expect(result.error).toBeInstanceOf(ConfigurationError)
    expect((result.error as ConfigurationError).input).toBe('stack-file')
    // The field and the fix.
    expect(result.error?.message).toContain("the host has no Let's Encrypt email and the stack file sets none")
    expect(result.error?.message).toContain('Add `proxy: { letsencrypt-email: ops@example.org }` to the stack file.')
    // It connected and read the host, and sent nothing that changes it: not the service, not the app, not Caddy's settings.
    expect(result.log).toContain('running dokku')
    expect(writesSince(sandbox, offset)).toEqual([])
    expect((await dokku(sandbox, `postgres:exists ${DB}`)).code).not.toBe(0)
    expect((await dokku(sandbox, `apps:exists ${APP}`)).code).not.toBe(0)
    expect(result.everything).not.toContain(SECRETS.PF_KEY_BASE)
  }, 120_000)
})
