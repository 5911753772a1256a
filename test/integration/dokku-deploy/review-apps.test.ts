// Review apps against the sandbox host: workflows-examples/review-apps.yml's dokku-stack steps,
// run in-process as the runner would (its `if:` conditions and `${{ }}` expressions evaluated), for
// a pull request opened and then closed; and the clone path of review-app: create, which must not
// leave pull-request code with production's database, Redis or secrets.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { run as deployRun } from '../../../src/actions/dokku-deploy/main.js'
import { run as serviceRun } from '../../../src/actions/dokku-service/main.js'
import type { RunContext } from '../../../src/core/github/context.js'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { randomSecret } from '../../sandbox/workflow-runner.ts'
import { runAction, type ActionRun } from '../../support/action-run.js'
import { repoRoot } from '../../support/actions.js'
import { FakeGitHub } from '../../support/fake-github.js'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'

const sandbox = sharedSandbox()
const repos: TestRepo[] = []
afterAll(async () => Promise.all(repos.map((r) => r.cleanup())))

async function dokku(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return sandbox.ssh('dokku', command)
}

async function appEnv(app: string): Promise<Record<string, string>> {
  return JSON.parse((await dokku(`config:export --format json ${app}`)).stdout) as Record<string, string>
}

interface Step {
  id?: string
  name?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, string | number | boolean>
}

interface PullRequestEvent {
  action: 'opened' | 'synchronize' | 'closed'
  number: number
  headSha: string
}

/**
 * Runs the review-app job of the example for one pull_request event. Only what the example uses is
 * understood; anything else fails the test rather than being guessed. The health-check URL is the
 * one input replaced: the sandbox cannot resolve review domains, so it points at the app's
 * sandbox address instead.
 */
async function runReviewJob(event: PullRequestEvent, github: { apiUrl: string; token: string }, checkout: string, secrets: Record<string, string>): Promise<{ name: string; result: ActionRun }[]> {
  const workflow = parse(await readFile(join(repoRoot, 'workflows-examples', 'review-apps.yml'), 'utf8')) as {
    jobs: Record<string, { if?: string; env?: Record<string, string>; steps: Step[] }>
  }
  const job = workflow.jobs['review-app']
  if (!job) throw new Error('no review-app job')
  expect(job.if).toBe('github.event.pull_request.head.repo.full_name == github.repository')
  const vars: Record<string, string> = { DOKKU_HOST: sandbox.host, DOKKU_SSH_PORT: String(sandbox.port), DOKKU_HOST_KEY: sandbox.knownHostsLine, URO_REVIEW_DOMAIN: 'sandbox.test' }
  const githubValues: Record<string, string> = { token: github.token, 'event.pull_request.number': String(event.number), 'event.pull_request.head.sha': event.headSha, 'event.action': event.action }
  const env: Record<string, string> = {}
  const expand = (text: string): string =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      const [scope, ...rest] = expression.split('.')
      const name = rest.join('.')
      const value = scope === 'vars' ? vars[name] : scope === 'secrets' ? secrets[name] : scope === 'github' ? githubValues[name] : scope === 'env' ? env[name] : undefined
      if (value === undefined) throw new Error(`unsupported expression \${{ ${expression} }}`)
      return value
    })
  for (const [key, value] of Object.entries(job.env ?? {})) env[key] = expand(value)
  const condition = (text: string | undefined): boolean => {
    if (text === undefined) return true
    if (text === "github.event.action != 'closed'") return event.action !== 'closed'
    if (text === "github.event.action == 'closed'") return event.action === 'closed'
    throw new Error(`unsupported condition ${text}`)
  }
  const context: Partial<RunContext> = {
    eventName: 'pull_request',
    repository: { owner: 'acme', repo: 'uro' },
    pullRequest: { number: event.number, headSha: event.headSha, headRef: 'feature' },
    apiUrl: github.apiUrl,
    workspace: checkout
  }
  const ran: { name: string; result: ActionRun }[] = []
  for (const step of job.steps) {
    if (!condition(step.if)) continue
    const action = /\/actions\/([a-z-]+)@/.exec(step.uses ?? '')?.[1]
    if (step.uses?.startsWith('actions/checkout@')) continue
    if (action !== 'dokku-service' && action !== 'dokku-deploy') throw new Error(`unexpected step ${step.name ?? step.uses ?? step.run}`)
    const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, expand(String(value))]))
    if (inputs['healthcheck-url']) inputs['healthcheck-url'] = `${await sandbox.appUrl(env.REVIEW_APP as string)}/health`
    const result = await runAction(action === 'dokku-service' ? serviceRun : deployRun, inputs, context)
    const name = step.name ?? step.id ?? action
    expect(result.error, `${name}: ${result.log}`).toBeUndefined()
    ran.push({ name, result })
  }
  return ran
}

describe('review apps', () => {
  it('gives each review app its own database and Redis, and destroys them with it when the pull request closes', async () => {
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const headSha = await checkout.commit({ 'index.txt': 'feature' })
    const number = 9301
    const app = `uro-pr-${number}`
    const github = new FakeGitHub()
    const apiUrl = await github.start()
    const secrets = { DOKKU_SSH_KEY: sandbox.users.dokku.privateKey, REVIEW_PHOENIX_KEY_BASE: randomSecret(), REVIEW_JOKEN_SIGNER: randomSecret() }
    const gh = { apiUrl, token: 'ghs_reviewappsexample1234567890' }
    try {
      const opened = await runReviewJob({ action: 'opened', number, headSha }, gh, checkout.dir, secrets)
      expect(opened.map((s) => s.name)).toEqual(['Database', 'Redis', 'review'])
      const env = await appEnv(app)
      expect(env.DATABASE_URL).toContain(`@dokku-postgres-${app}-db:5432/`)
      expect(env.REDIS_URL).toContain(`@dokku-redis-${app}-redis:6379`)
      expect(env.PHOENIX_KEY_BASE).toBe(secrets.REVIEW_PHOENIX_KEY_BASE)
      expect(env.URL).toBe(`https://${app}.sandbox.test/api/v1/`)
      expect(opened.at(-1)?.result.outputs).toMatchObject({ app, 'deployed-sha': headSha, changed: 'true' })
      const answer = await fetch(`${await sandbox.appUrl(app)}/`)
      await answer.body?.cancel()
      expect(answer.headers.get('x-sandbox-deployed')).toBe(headSha)

      // A second push changes nothing in the services and deploys the new commit.
      const nextSha = await checkout.commit({ 'index.txt': 'feature 2' })
      const pushed = await runReviewJob({ action: 'synchronize', number, headSha: nextSha }, gh, checkout.dir, secrets)
      expect(pushed.slice(0, 2).map((s) => s.result.outputs.changed)).toEqual(['false', 'false'])
      expect(pushed[2]?.result.outputs).toMatchObject({ 'deployed-sha': nextSha })

      const closed = await runReviewJob({ action: 'closed', number, headSha: nextSha }, gh, checkout.dir, secrets)
      expect(closed.map((s) => s.name)).toEqual(['Destroy the database', 'Destroy Redis', 'Destroy the review app'])
      expect((await dokku(`postgres:exists ${app}-db`)).code).not.toBe(0)
      expect((await dokku(`redis:exists ${app}-redis`)).code).not.toBe(0)
      expect((await dokku(`apps:exists ${app}`)).code).toBe(20)
      for (const { result } of [...opened, ...pushed, ...closed]) for (const secret of Object.values(secrets)) expect(result.everything).not.toContain(secret)
    } finally {
      await github.stop()
    }
  }, 400_000)

  it('unlinks a cloned review app from the source app services and removes the secrets it copied', async () => {
    const base = 'ra-base'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const mainSha = await checkout.commit({ 'index.txt': 'main' })
    const common = { host: sandbox.host, 'ssh-port': String(sandbox.port), 'ssh-private-key': sandbox.users.dokku.privateKey, 'ssh-host-key': sandbox.knownHostsLine }
    for (const [engine, service] of [['postgres', 'ra-prod-db'], ['redis', 'ra-prod-redis']] as const)
      expect((await runAction(serviceRun, { ...common, engine, service, app: base })).error).toBeUndefined()
    const prodSecret = randomSecret()
    const deployed = await runAction(deployRun, { ...common, app: base, ref: mainSha, path: checkout.dir, config: `SECRET_KEY_BASE=${prodSecret}\nPUBLIC_NAME=production` })
    expect(deployed.error).toBeUndefined()
    const prodEnv = await appEnv(base)

    const headSha = await checkout.commit({ 'index.txt': 'feature' })
    const context: Partial<RunContext> = { eventName: 'pull_request', pullRequest: { number: 12, headSha, headRef: 'feature' }, workspace: checkout.dir }
    const review = `${base}-pr-12`
    try {
      const created = await runAction(deployRun, { ...common, app: base, 'review-app': 'create', config: 'REVIEW=yes' }, context)
      expect(created.error, created.log).toBeUndefined()
      expect(created.log).toContain(`Unlinked ${review} from ${base}'s services: postgres:ra-prod-db, redis:ra-prod-redis (${base} keeps its links).`)
      expect(created.log).toContain(`Removed the secrets ${review} copied from ${base}: SECRET_KEY_BASE.`)
      const env = await appEnv(review)
      expect(env).not.toHaveProperty('DATABASE_URL')
      expect(env).not.toHaveProperty('REDIS_URL')
      expect(env).not.toHaveProperty('SECRET_KEY_BASE')
      expect(JSON.stringify(env)).not.toContain(prodSecret)
      for (const value of [prodEnv.DATABASE_URL, prodEnv.REDIS_URL]) expect(JSON.stringify(env)).not.toContain(value as string)
      expect(env).toMatchObject({ PUBLIC_NAME: 'production', REVIEW: 'yes' })
      // The services no longer count the clone among their apps; production stays linked.
      expect((await dokku('postgres:info ra-prod-db --links')).stdout.trim()).toBe(base)
      expect((await dokku('redis:info ra-prod-redis --links')).stdout.trim()).toBe(base)
      expect(await appEnv(base)).toMatchObject({ DATABASE_URL: prodEnv.DATABASE_URL, REDIS_URL: prodEnv.REDIS_URL, SECRET_KEY_BASE: prodSecret })
    } finally {
      await runAction(deployRun, { ...common, app: base, 'review-app': 'destroy' }, context)
    }
  }, 300_000)
})
