// 20 apps converged by the stack action in one run (issue 17, "Concurrency and load"): one stack
// file naming 20 apps that share a postgres and a redis service, each with config, a secret from the
// environment, storage, a domain, a port and an image to deploy, converged by the root action over
// one connection; then the same file again, which must plan nothing and send no write command. The
// scenario and its per-app checks are test/support/many-apps.ts.
//
// Its time is the stack's: measured on 2026-12-07, the two runs sent 2,716 and 3,431 Dokku commands,
// 66% and 83% of them the proxy stage, which observes every app's proxy and every Caddy app's six
// reports once per routed app (N × (apps + 6 × Caddy apps)). Hence the limit of 30 minutes: it took
// 19 on a 2-core machine under a load of 12 to 22.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { manyAppsProblems, manyAppsStack } from '../../support/many-apps.js'
import { recordReliability } from '../../support/reliability.js'
import { argvOffset, runStack, writesSince, writeStackFile } from '../stack/fixture.js'

const sandbox = sharedSandbox()
const APPS = 20
const stack = manyAppsStack({ prefix: 'rl-many', count: APPS })
// Image deploys read nothing from the checkout: an empty workspace.
let workspace: string
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'twenty-apps-'))
})
afterAll(async () => rm(workspace, { recursive: true, force: true }))

describe(`${APPS} apps in one run of the stack action`, () => {
  it(`converges ${APPS} apps from one stack file, each answering with its image, config and secret; a second run plans nothing`, async () => {
    const stackFile = await writeStackFile(stack.text)
    const converge = () => runStack(sandbox, { 'stack-file': stackFile }, { dir: workspace }, stack.env)
    const names = [...stack.apps.map((app) => app.name), stack.services.postgres, stack.services.redis]

    const first = await converge()
    expect(first.error).toBeUndefined()
    expect(first.outputs.changed).toBe('true')
    const problems = await manyAppsProblems(sandbox, stack)

    const offset = argvOffset(sandbox)
    const second = await converge()
    const secondSteps = (JSON.parse(second.outputs.plan ?? '{}') as { steps?: { resource: string }[] }).steps
    const secondWrites = writesSince(sandbox, offset, names)
    const leaked = stack.apps.filter((app) => [first, second].some((run) => run.everything.includes(stack.env[app.secretVariable] as string) || run.outputs.plan?.includes(stack.env[app.secretVariable] as string)))

    const held = stack.apps.filter((app) => !problems.some((p) => p.startsWith(`${app.name}:`)) && !secondSteps?.some((s) => s.resource.includes(app.name))).length
    recordReliability('concurrency', `${APPS} apps converged by the root stack action in one run over one connection, then again with nothing planned`, {
      tried: APPS,
      held,
      details: { 'steps planned by the second run': secondSteps?.length ?? -1, 'write commands sent by the second run': secondWrites.length, 'secrets found in the output': leaked.length }
    })
    expect(problems).toEqual([])
    expect(second.error).toBeUndefined()
    expect(second.outputs.changed).toBe('false')
    expect(secondSteps).toEqual([])
    expect(secondWrites).toEqual([])
    expect(leaked.map((app) => app.secretVariable)).toEqual([])
    expect(held).toBe(APPS)
  }, 1_800_000)
})
