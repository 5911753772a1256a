import { PlanError } from '../../core/converge/plan.js'
import { storedConfigValue } from '../../core/dokku/parse/config.js'
import type { EnvFileFormat } from '../../core/dokku/parse/envfile.js'
import { Inputs, type DeployConfig } from './inputs.js'

/** What one batch of reads told us about the host before anything changes. */
export interface DeployObservation {
  appExists: boolean
  /** For review apps: whether the app it is cloned from exists. */
  baseAppExists: boolean
  /** `apps:report --app-deploy-source` (`git-push`, `docker-image`, …), undefined before the first deploy. */
  deploySource: string | undefined
  /** `apps:report --app-deploy-source-metadata`: the pushed SHA or the image reference. */
  deploySourceMetadata: string | undefined
  /** The deploy branch as configured (not the computed fallback); undefined when unset or when the host's report cannot tell (≤0.38.3, see `configuredDeployBranch`). */
  deployBranch: string | undefined
  /** The app's current environment (`config:export --format json`). */
  config: Record<string, string>
  /** How the host's Dokku stores config values (the godotenv version it was built with). */
  envFile: EnvFileFormat
  /** For git deploys: the commit `ref` resolves to in the checkout. */
  targetSha: string | undefined
}

export type Deployed = { kind: 'git'; sha: string } | { kind: 'image'; image: string }

export type DeployStep =
  | { kind: 'create-app'; reason: string }
  | { kind: 'clone-review-app'; from: string; reason: string }
  | { kind: 'set-deploy-branch'; branch: string; reason: string }
  | { kind: 'set-config'; keys: string[]; reason: string }
  | { kind: 'push'; sha: string; branch: string; reason: string }
  | { kind: 'deploy-image'; image: string; reason: string }
  | { kind: 'restart'; reason: string }
  | { kind: 'healthcheck'; url: string; expectedStatus: number; reason: string }
  | { kind: 'destroy-review-app'; reason: string }

export interface DeployPlan {
  steps: DeployStep[]
  /** What runs now, and what ran before (the rollback target). */
  target: Deployed | undefined
  previous: Deployed | undefined
  /** False when the host already runs the target with the desired config. */
  changed: boolean
}


/** Pure: the steps that take the host from what was observed to what the inputs ask for. */
export function planDeploy(config: DeployConfig, observed: DeployObservation): DeployPlan {
  const previous = deployedFrom(observed)
  if (config.reviewApp === 'destroy') {
    const steps: DeployStep[] = observed.appExists
      ? [{ kind: 'destroy-review-app', reason: `review app ${config.app} exists and the pull request is done with it` }]
      : []
    return { steps, target: undefined, previous, changed: steps.length > 0 }
  }

  const steps: DeployStep[] = []
  if (!observed.appExists) {
    if (config.reviewApp === 'create') {
      if (!observed.baseAppExists) throw new PlanError(`review app ${config.app} is cloned from ${config.baseApp}, which does not exist on the host. Deploy ${config.baseApp} first.`, Inputs.reviewApp)
      steps.push({ kind: 'clone-review-app', from: config.baseApp, reason: `review app ${config.app} does not exist yet` })
    } else if (config.createApp) {
      steps.push({ kind: 'create-app', reason: `app ${config.app} does not exist yet` })
    } else {
      throw new PlanError(`app ${config.app} does not exist on the host and create-app is false. Create it (dokku apps:create ${config.app}) or set create-app: true.`, Inputs.createApp)
    }
  }

  if (observed.deployBranch !== config.branch)
    steps.push({
      kind: 'set-deploy-branch',
      branch: config.branch,
      reason: observed.deployBranch ? `the deploy branch is ${observed.deployBranch}` : 'no deploy branch is set, or the host cannot say (Dokku up to 0.38.3 reports master when unset)'
    })

  // Compared as the host's Dokku stores them: from 0.37.8 purely numeric values are re-serialised (007 becomes 7).
  const changedKeys = [...config.config].filter(([key, value]) => observed.config[key] !== storedConfigValue(value, observed.envFile)).map(([key]) => key)
  if (changedKeys.length > 0)
    steps.push({ kind: 'set-config', keys: changedKeys, reason: `${changedKeys.length === 1 ? 'this key differs' : 'these keys differ'} from the app's environment` })

  const target = targetOf(config, observed)
  const alreadyRunning = previous !== undefined && sameDeploy(previous, target)
  if (!alreadyRunning) {
    const was = previous ? `the host runs ${describe(previous)}` : 'nothing is deployed yet'
    steps.push(
      target.kind === 'git'
        ? { kind: 'push', sha: target.sha, branch: config.branch, reason: was }
        : { kind: 'deploy-image', image: target.image, reason: was }
    )
  } else if (changedKeys.length > 0) {
    steps.push({ kind: 'restart', reason: `${describe(target)} is already deployed; the new config needs a restart` })
  }

  const changed = steps.length > 0
  if (config.healthcheck && changed)
    steps.push({
      kind: 'healthcheck',
      url: config.healthcheck.url.toString(),
      expectedStatus: config.healthcheck.expectedStatus,
      reason: 'prove the deploy answers from outside the host'
    })
  return { steps, target, previous, changed }
}

function targetOf(config: DeployConfig, observed: DeployObservation): Deployed {
  if (config.source.kind === 'image') return { kind: 'image', image: config.source.image }
  if (!observed.targetSha) throw new PlanError(`ref ${config.source.ref} does not name a commit in ${config.source.workdir}`, Inputs.ref)
  return { kind: 'git', sha: observed.targetSha }
}

/** A clone inherits its source's deploy-source (docs/dokku-contract.md#apps-clone), so a fresh review app reports the base app's deploy. */
function deployedFrom(observed: DeployObservation): Deployed | undefined {
  const metadata = observed.deploySourceMetadata
  if (!observed.appExists || !metadata) return undefined
  if (observed.deploySource === 'git-push' && /^[0-9a-f]{40}$/.test(metadata)) return { kind: 'git', sha: metadata }
  if (observed.deploySource === 'docker-image') return { kind: 'image', image: metadata }
  return undefined
}

function sameDeploy(a: Deployed, b: Deployed): boolean {
  return a.kind === 'git' ? b.kind === 'git' && a.sha === b.sha : b.kind === 'image' && a.image === b.image
}

export function describe(deployed: Deployed): string {
  return deployed.kind === 'git' ? `commit ${deployed.sha.slice(0, 12)}` : `image ${deployed.image}`
}

export function renderPlan(app: string, plan: DeployPlan): string[] {
  if (plan.steps.length === 0) return [`${app}: nothing to do; the host already runs ${plan.previous ? describe(plan.previous) : 'the target'} with this config.`]
  return plan.steps.map((step, i) => `${i + 1}. ${stepTitle(step)} (${step.reason})`)
}

export function stepTitle(step: DeployStep): string {
  switch (step.kind) {
    case 'create-app':
      return 'create the app'
    case 'clone-review-app':
      return `clone ${step.from} into the review app (apps:clone --skip-deploy --ignore-existing), then unlink it from ${step.from}'s services and remove the secrets it copied`
    case 'set-deploy-branch':
      return `set the deploy branch to ${step.branch}`
    case 'set-config':
      return `set config ${step.keys.join(', ')} without restarting (values not shown)`
    case 'push':
      return `push commit ${step.sha.slice(0, 12)} to ${step.branch}`
    case 'deploy-image':
      return `deploy image ${step.image} (git:from-image)`
    case 'restart':
      return 'restart the app (ps:restart)'
    case 'healthcheck':
      return `check ${step.url} answers ${step.expectedStatus}`
    case 'destroy-review-app':
      return 'destroy the review app (apps:destroy --force)'
  }
}
