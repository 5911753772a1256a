// dokku-service on an app scheduled with k3s (docs/scale-out.md): the service would be a Docker
// container its pods cannot reach, so linking it is refused before anything changes, with why.
import { describe, expect, it } from 'vitest'
import { readServiceInputs } from '../../../src/actions/dokku-service/inputs.js'
import { planService, type PluginObservation } from '../../../src/actions/dokku-service/plan.js'
import { PlanError } from '../../../src/core/converge/plan.js'
import { inputsFrom } from '../../support/inputs.js'
import { testKeyInputs } from '../../support/keys.js'

const config = readServiceInputs(inputsFrom({ ...testKeyInputs(), host: 'dokku.example.com', engine: 'redis', service: 'uro-redis', app: 'uro' }))

function observed(scheduler: string | undefined): PluginObservation {
  return {
    kind: 'plugin',
    plugin: 'enabled',
    canInstallPlugins: false,
    service: { dsn: 'redis://:pw@dokku-redis-uro-redis:6379', version: 'redis:8', status: 'running', links: [], configOptions: '' },
    app: { name: 'uro', exists: true, deployed: true, config: {}, dockerLink: false, ...(scheduler === undefined ? {} : { scheduler }) }
  }
}

describe('dokku-service and the k3s scheduler', () => {
  it('refuses to link a service into a k3s app, saying why', () => {
    expect(() => planService(config, observed('k3s'))).toThrow(PlanError)
    expect(() => planService(config, observed('k3s'))).toThrow(/scheduled with k3s: its pods cannot reach redis service uro-redis, .*REDIS_URL that does not work/)
  })

  it('links into a docker-local app (or one whose scheduler was not read) as before', () => {
    expect(planService(config, observed('docker-local')).steps.map((s) => s.kind)).toContain('link')
    expect(planService(config, observed(undefined)).steps.map((s) => s.kind)).toContain('link')
  })
})
