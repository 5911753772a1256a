import { describe, expect, it } from 'vitest'
import { readServiceInputs } from '../../../src/actions/dokku-service/inputs.js'
import type { ServicePlan } from '../../../src/actions/dokku-service/plan.js'
import type { DeployPlan } from '../../../src/actions/dokku-deploy/plan.js'
import { deploySteps, serviceSteps } from '../../../src/actions/stack/steps.js'
import { planApp } from '../../../src/core/converge/app.js'
import { captureStdout, inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

function described(step: { resource: string; current: string; wanted: string; action: string }) {
  return [step.resource, step.current, step.wanted, step.action]
}

describe("the actions' plans as the engine's steps", () => {
  let config!: ReturnType<typeof readServiceInputs>
  captureStdout(() => (config = readServiceInputs(inputsFrom({ host: 'dokku.example.org', ...testKeyInputs(), engine: 'postgres', service: 'uro-db', app: 'uro' }))))

  it('creating an app reads the same from every converger, so the stack lists it once', () => {
    const fromApp = planApp({ app: 'uro', config: {}, secrets: {}, storage: [], ports: undefined }, { exists: false, deployed: false, config: {}, mounts: [], ports: [], envFile: 'godotenv-1.5.1' }).steps[0]
    const servicePlan: ServicePlan = { steps: [{ kind: 'create-app', app: 'uro', reason: 'uro does not exist yet' }], notices: [], notes: [], variable: 'DATABASE_URL', url: undefined, serviceConfig: undefined }
    const deployPlan: DeployPlan = { steps: [{ kind: 'create-app', reason: 'app uro does not exist yet' }], target: undefined, previous: undefined, changed: true }
    expect(described(serviceSteps(config, servicePlan)[0]!)).toEqual(described(fromApp!))
    expect(described(deploySteps('uro', deployPlan)[0]!)).toEqual(described(fromApp!))
  })

  it('a link and a deploy say what is there and what will be', () => {
    const servicePlan: ServicePlan = { steps: [{ kind: 'link', variable: 'DATABASE_URL', reason: 'uro is not linked to uro-db' }], notices: [], notes: [], variable: 'DATABASE_URL', url: undefined, serviceConfig: undefined }
    expect(serviceSteps(config, servicePlan).map(described)).toEqual([['app uro link uro-db', 'not linked', 'linked as DATABASE_URL', 'link uro-db to uro as DATABASE_URL, without a restart']])
    const deployPlan: DeployPlan = {
      steps: [{ kind: 'push', sha: 'b'.repeat(40), branch: 'main', reason: 'the host runs commit aaaaaaaaaaaa' }],
      target: { kind: 'git', sha: 'b'.repeat(40) },
      previous: { kind: 'git', sha: 'a'.repeat(40) },
      changed: true
    }
    expect(deploySteps('uro', deployPlan).map(described)).toEqual([['app uro deploy', 'commit aaaaaaaaaaaa', 'commit bbbbbbbbbbbb', 'push commit bbbbbbbbbbbb to main']])
  })
})
