// The five actions' own plans, read as the engine's steps, so that the whole stack is one plan:
// one table (resource | current | wanted | action), one JSON output, one list of drift.
import type { CaddyPlan } from '../../core/caddy/plan.js'
import { stepTitle as caddyStepTitle } from '../../core/caddy/plan.js'
import { ABSENT, type Step } from '../../core/converge/plan.js'
import type { ServiceConfig } from '../dokku-service/inputs.js'
import { stepTitle as serviceStepTitle, type ServicePlan } from '../dokku-service/plan.js'
import { describe, stepTitle as deployStepTitle, type DeployPlan } from '../dokku-deploy/plan.js'
import type { SeaweedConfig } from '../seaweed-provision/inputs.js'
import { stepTitle as seaweedStepTitle, type SeaweedPlan } from '../seaweed-provision/plan.js'

const DIFFERS = 'differs'
const AS_FILED = 'as in the stack file'

/** Creating an app reads the same whichever converger plans it, so the stack's plan lists it once. */
function createApp(app: string, reason: string): Step {
  return { resource: `app ${app}`, current: ABSENT, wanted: 'exists', action: 'create', reason, detail: undefined }
}

function step(resource: string, current: string, wanted: string, action: string, reason: string): Step {
  return { resource, current, wanted, action, reason, detail: undefined }
}

export function serviceSteps(config: ServiceConfig, plan: ServicePlan): Step[] {
  const svc = `service ${config.service}`
  const link = config.app ? `app ${config.app} link ${config.service}` : svc
  return plan.steps.map((s) => {
    const title = serviceStepTitle(config, s)
    switch (s.kind) {
      case 'install-plugin':
        return step(`plugin ${s.plugin}`, ABSENT, 'installed', title, s.reason)
      case 'create-service':
        return step(svc, ABSENT, config.engine, title, s.reason)
      case 'create-app':
        return createApp(s.app, s.reason)
      case 'link':
        return step(link, 'not linked', `linked as ${s.variable}`, title, s.reason)
      case 'set-url':
        return step(link, DIFFERS, `${s.variable} set`, title, s.reason)
      case 'clean-link':
      case 'unlink':
      case 'unset-url':
        return step(link, DIFFERS, AS_FILED, title, s.reason)
      case 'restart-app':
        return step(`app ${s.app}`, 'running with the old settings', 'running with the new ones', title, s.reason)
      default:
        return step(svc, DIFFERS, AS_FILED, title, s.reason)
    }
  })
}

export function seaweedSteps(config: SeaweedConfig, plan: SeaweedPlan): Step[] {
  const store = `object store ${config.app}`
  return plan.steps.map((s) => {
    const title = seaweedStepTitle(config, s)
    switch (s.kind) {
      case 'create-app':
        return step(store, ABSENT, 'exists', title, s.reason)
      case 'create-bucket':
        return step(`${store} bucket ${s.bucket}`, ABSENT, 'exists', title, s.reason)
      case 'create-user':
        return step(`${store} identity ${s.user}`, ABSENT, 'exists', title, s.reason)
      case 'set-policy':
        return step(`${store} identity ${s.user}`, DIFFERS, `${s.access} ${s.buckets.join(', ')}`, title, s.reason)
      case 'create-key':
        return step(`${store} identity ${s.user}`, 'no valid key', 'a key held by ' + s.holder, title, s.reason)
      case 'link-app':
        return step(`app ${s.app} object store`, DIFFERS, `${s.variables.join(', ')} set`, title, s.reason)
      case 'restart-app':
        return step(`app ${s.app}`, 'running with the old settings', 'running with the new ones', title, s.reason)
      case 'mount-storage':
        return step(`${store} storage /data`, ABSENT, s.storage, title, s.reason)
      case 'set-store-config':
        return step(`${store} config`, DIFFERS, `${s.keys.join(', ')} set`, title, s.reason)
      case 'set-ports':
        return step(`${store} ports`, DIFFERS, s.ports.join(' '), title, s.reason)
      case 'create-network':
        return step(`network ${s.network}`, ABSENT, 'exists', title, s.reason)
      case 'attach-network':
        return step(`app ${s.app} networks`, DIFFERS, s.networks.join(' '), title, s.reason)
      case 'scale-web':
        return step(`${store} processes`, DIFFERS, 'web=1', title, s.reason)
      case 'disable-checks':
        return step(`${store} checks`, 'enabled', 'disabled', title, s.reason)
      default:
        return step(store, DIFFERS, AS_FILED, title, s.reason)
    }
  })
}

export function deploySteps(app: string, plan: DeployPlan): Step[] {
  const deployed = plan.previous ? describe(plan.previous) : 'nothing deployed'
  return plan.steps.map((s) => {
    const title = deployStepTitle(s)
    switch (s.kind) {
      case 'create-app':
        return createApp(app, s.reason)
      case 'push':
      case 'deploy-image':
        return step(`app ${app} deploy`, deployed, plan.target ? describe(plan.target) : AS_FILED, title, s.reason)
      case 'set-deploy-branch':
        return step(`app ${app} deploy branch`, DIFFERS, s.branch, title, s.reason)
      default:
        return step(`app ${app} deploy`, DIFFERS, AS_FILED, title, s.reason)
    }
  })
}

export function caddySteps(plan: CaddyPlan): Step[] {
  return plan.steps.map((s) => {
    const resource = 'app' in s ? `app ${s.app} proxy` : 'proxy'
    const title = caddyStepTitle(s)
    switch (s.kind) {
      case 'set-domains':
        return step(resource, DIFFERS, s.domains.join(' '), title, s.reason)
      case 'set-ports':
        return step(resource, DIFFERS, s.maps.join(' '), title, s.reason)
      case 'set-global':
        return step(resource, DIFFERS, `${s.key} ${s.value}`, title, s.reason)
      case 'set-proxy-type':
        return step(resource, DIFFERS, 'caddy', title, s.reason)
      case 'enable-proxy':
        return step(resource, 'disabled', 'enabled', title, s.reason)
      case 'add-label':
        return step(resource, DIFFERS, `${s.label} ${s.value}`, title, s.reason)
      case 'remove-label':
        return step(resource, s.label, ABSENT, title, s.reason)
      case 'start-caddy':
        return step(resource, 'not running', 'running', title, s.reason)
      case 'stop-nginx':
        return step(resource, 'nginx running', 'nginx stopped', title, s.reason)
      case 'rebuild':
        return step(resource, 'old container labels', 'rebuilt with the new routing', title, s.reason)
      default:
        return step(resource, DIFFERS, AS_FILED, title, s.reason)
    }
  })
}
