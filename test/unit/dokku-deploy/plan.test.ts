import { describe, expect, it } from 'vitest'
import { PlanError } from '../../../src/core/converge/plan.js'
import { readDeployInputs, type EventContext } from '../../../src/actions/dokku-deploy/inputs.js'
import { planDeploy, renderPlan, type DeployObservation } from '../../../src/actions/dokku-deploy/plan.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const SHA_A = 'a'.repeat(40)
const SHA_B = 'b'.repeat(40)
const event: EventContext = { eventName: 'push', sha: SHA_B, pullRequest: undefined, workspace: '/work' }

function config(extra: Record<string, string> = {}, ev: EventContext = event) {
  return readDeployInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', app: 'uro', ...extra }), ev)
}

function observed(over: Partial<DeployObservation> = {}): DeployObservation {
  return {
    appExists: true,
    baseAppExists: true,
    deploySource: 'git-push',
    deploySourceMetadata: SHA_A,
    deployBranch: 'main',
    config: { A: '1' },
    envFile: 'godotenv-1.5.1',
    targetSha: SHA_B,
    ...over
  }
}

describe('planDeploy', () => {
  it('creates the app, sets the branch and pushes on a first deploy', () => {
    const plan = planDeploy(config(), observed({ appExists: false, deploySource: undefined, deploySourceMetadata: undefined, deployBranch: undefined, config: {} }))
    expect(plan.steps.map((s) => s.kind)).toEqual(['create-app', 'set-deploy-branch', 'push'])
    expect(plan.previous).toBeUndefined()
    expect(plan.target).toEqual({ kind: 'git', sha: SHA_B })
    expect(plan.changed).toBe(true)
  })

  it('plans nothing against a host that already runs the commit with the same config', () => {
    const plan = planDeploy(config({ config: 'A=1' }), observed({ deploySourceMetadata: SHA_B }))
    expect(plan.steps).toEqual([])
    expect(plan.changed).toBe(false)
    expect(renderPlan('uro', plan)).toEqual(['uro: nothing to do; the host already runs commit bbbbbbbbbbbb with this config.'])
  })

  it('sets only the keys that differ, and restarts once when the commit is unchanged', () => {
    const plan = planDeploy(config({ config: 'A=1\nB=2' }), observed({ deploySourceMetadata: SHA_B }))
    expect(plan.steps).toEqual([
      { kind: 'set-config', keys: ['B'], reason: "this key differs from the app's environment" },
      { kind: 'restart', reason: 'commit bbbbbbbbbbbb is already deployed; the new config needs a restart' }
    ])
  })

  it('compares numeric values the way Dokku stores them, so 007 is not a change on every run', () => {
    const plan = planDeploy(config({ config: 'PIN=007\nA=1' }), observed({ deploySourceMetadata: SHA_B, config: { A: '1', PIN: '7' } }))
    expect(plan.steps).toEqual([])
  })

  it('records the previous commit as the rollback target and checks health after a change', () => {
    const plan = planDeploy(config({ 'healthcheck-url': 'https://uro.example.com/health' }), observed())
    expect(plan.previous).toEqual({ kind: 'git', sha: SHA_A })
    expect(plan.steps.map((s) => s.kind)).toEqual(['push', 'healthcheck'])
  })

  it('treats a deploy of the running image as a no-op and another image as a deploy', () => {
    const image = 'ghcr.io/acme/uro@sha256:' + 'c'.repeat(64)
    expect(planDeploy(config({ source: 'image', image }), observed({ deploySource: 'docker-image', deploySourceMetadata: image })).steps).toEqual([])
    const plan = planDeploy(config({ source: 'image', image }), observed({ deploySource: 'docker-image', deploySourceMetadata: 'ghcr.io/acme/uro:1' }))
    expect(plan.steps).toEqual([{ kind: 'deploy-image', image, reason: 'the host runs image ghcr.io/acme/uro:1' }])
    expect(plan.previous).toEqual({ kind: 'image', image: 'ghcr.io/acme/uro:1' })
  })

  it('refuses a missing app when create-app is false, naming the fix', () => {
    expect(() => planDeploy(config({ 'create-app': 'false' }), observed({ appExists: false }))).toThrow(
      new PlanError('app uro does not exist on the host and create-app is false. Create it (dokku apps:create uro) or set create-app: true.', 'create-app')
    )
  })

  it('clones a review app under a derived name from the pull request, then deploys its head', () => {
    const pr: EventContext = { eventName: 'pull_request', sha: SHA_A, pullRequest: { number: 42, headSha: SHA_B, headRef: 'feature/x' }, workspace: '/w' }
    const cfg = config({ 'review-app': 'create' }, pr)
    expect(cfg.app).toBe('uro-pr-42')
    expect(cfg.source).toEqual({ kind: 'git', ref: SHA_B, workdir: '/w' })
    const plan = planDeploy(cfg, observed({ appExists: false }))
    expect(plan.steps.map((s) => s.kind)).toEqual(['clone-review-app', 'push'])
  })

  it('destroys a review app only when it exists', () => {
    const pr: EventContext = { eventName: 'pull_request', sha: SHA_A, pullRequest: { number: 7, headSha: SHA_B, headRef: 'x' }, workspace: '/w' }
    expect(planDeploy(config({ 'review-app': 'destroy' }, pr), observed()).steps.map((s) => s.kind)).toEqual(['destroy-review-app'])
    expect(planDeploy(config({ 'review-app': 'destroy' }, pr), observed({ appExists: false })).steps).toEqual([])
  })
})

describe('readDeployInputs', () => {
  it('refuses a bad app name before anything else happens', () => {
    expect(() => config({ app: 'Uro_API' })).toThrow('Input "app" must be a Dokku app name')
  })
  it('defaults ref to the pull request head on pull_request events', () => {
    const pr: EventContext = { eventName: 'pull_request', sha: SHA_A, pullRequest: { number: 1, headSha: SHA_B, headRef: 'x' }, workspace: '/w' }
    expect(config({}, pr).source).toEqual({ kind: 'git', ref: SHA_B, workdir: '/w' })
  })
  it('refuses image references that cannot travel to git:from-image', () => {
    expect(() => config({ source: 'image', image: 'ghcr.io/acme/uro latest' })).toThrow('Input "image" must be an image reference')
    expect(() => config({ source: 'image', image: 'ghcr.io/acme/uro@sha256:short' })).toThrow('Input "image" must be an image reference')
  })
  it('cuts a long review app name to a DNS label', () => {
    const pr: EventContext = { eventName: 'pull_request', sha: SHA_A, pullRequest: { number: 12345, headSha: SHA_B, headRef: 'x' }, workspace: '/w' }
    const name = config({ app: 'a'.repeat(63), 'review-app': 'create' }, pr).app
    expect(name).toHaveLength(63)
    expect(name.endsWith('-pr-12345')).toBe(true)
  })
})
