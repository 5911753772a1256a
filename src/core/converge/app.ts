// The parts of a Dokku app that no action converges by itself: that it exists, its plain config,
// its secrets (values from the runner's environment), its storage mounts and, when no proxy routes
// it, its port map. Observe (one batch of reads) → pure plan → apply, on the engine's steps.
import type { DokkuClient } from '../dokku/client.js'
import { STORAGE_ROOT } from '../dokku/forms.js'
import { storedConfigValue } from '../dokku/parse/config.js'
import type { EnvFileFormat } from '../dokku/parse/envfile.js'
import { formatPortMap } from '../dokku/parse/ports.js'
import type { StorageMount } from '../dokku/parse/storage.js'
import type { Logger } from '../log.js'
import { looksLikeCredentialKey, registerSecret } from '../secrets.js'
import { ABSENT, emptyPlan, secretTransition, type Plan, type Step } from './plan.js'

export interface AppRequest {
  app: string
  /** Plain values, shown in the plan (unless the key looks like a credential). */
  config: Readonly<Record<string, string>>
  /** Secret values by key: never shown, compared as the host stores them. */
  secrets: Readonly<Record<string, string>>
  /** Named Dokku storage → absolute path in the container. */
  storage: readonly { source: string; target: string }[]
  /** The port maps to hold (`http:80:4000`); undefined when a proxy converger owns them. */
  ports: readonly string[] | undefined
}

export interface AppObservation {
  exists: boolean
  /** `ps:report` deployed: only a deployed app is restarted. */
  deployed: boolean
  config: Readonly<Record<string, string>>
  mounts: readonly StorageMount[]
  /** `ports:report` configured maps, formatted (`http:80:4000`). */
  ports: readonly string[]
  envFile: EnvFileFormat
}

export type AppStepDetail =
  | { kind: 'create-app' }
  | { kind: 'set-config'; keys: string[] }
  | { kind: 'mount-storage'; storage: string; target: string }
  | { kind: 'set-ports'; maps: string[] }
  | { kind: 'restart-app' }

export type AppStep = Step<AppStepDetail>

/** One batch of reads, in parallel over the connection. */
export async function observeApp(dokku: DokkuClient, app: string, secretKeys: readonly string[]): Promise<AppObservation> {
  const envFile = dokku.features.envFile
  if (!(await dokku.apps.exists(app))) return { exists: false, deployed: false, config: {}, mounts: [], ports: [], envFile }
  const [config, mounts, ps, ports] = await Promise.all([dokku.config.export(app), dokku.storage.list(app), dokku.ps.report(app), dokku.ports.report(app)])
  // What the host holds under a secret's key is as secret as the value that replaces it.
  for (const key of secretKeys) registerSecret(config[key])
  return { exists: true, deployed: ps.deployed, config, mounts, ports: ports.map.map(formatPortMap), envFile }
}

/** Pure: the steps that take the app from what was observed to what the request asks for. */
export function planApp(request: AppRequest, observed: AppObservation): Plan<AppStep> {
  const plan = emptyPlan<AppStep>()
  const { app } = request
  const resource = `app ${app}`
  if (!observed.exists) plan.steps.push({ resource, current: ABSENT, wanted: 'exists', action: 'create', reason: `${app} does not exist yet`, detail: { kind: 'create-app' } })

  const differs = (values: Readonly<Record<string, string>>) =>
    Object.keys(values).filter((key) => observed.config[key] !== storedConfigValue(values[key] as string, observed.envFile))
  const plain = differs(request.config)
  if (plain.length > 0) {
    // A plain value under a credential's name is shown as a secret is.
    const shown = (key: string) =>
      looksLikeCredentialKey(key) ? secretTransition(observed.config[key]) : { current: observed.config[key] ?? ABSENT, wanted: request.config[key] as string }
    plan.steps.push({
      resource: `${resource} config`,
      current: plain.map((key) => `${key}=${shown(key).current}`).join(' '),
      wanted: plain.map((key) => `${key}=${shown(key).wanted}`).join(' '),
      action: `set ${plain.join(', ')}`,
      reason: `${plain.length === 1 ? 'this value differs' : 'these values differ'} from the stack file`,
      detail: { kind: 'set-config', keys: plain }
    })
  }
  const secrets = differs(request.secrets)
  if (secrets.length > 0)
    plan.steps.push({
      resource: `${resource} secrets`,
      current: secrets.map((key) => `${key}=${secretTransition(observed.config[key]).current}`).join(' '),
      wanted: secrets.map((key) => `${key}=${secretTransition(observed.config[key]).wanted}`).join(' '),
      action: `set ${secrets.join(', ')}`,
      reason: `${secrets.length === 1 ? 'this secret differs' : 'these secrets differ'} from the step's environment`,
      detail: { kind: 'set-config', keys: secrets }
    })

  for (const { source, target } of request.storage) {
    const atTarget = observed.mounts.filter((m) => m.containerPath === target)
    if (atTarget.some((m) => m.entryName === source || m.hostPath === `${STORAGE_ROOT}/${source}`)) continue
    plan.steps.push({
      resource: `${resource} storage ${target}`,
      current: atTarget.length === 0 ? ABSENT : atTarget.map((m) => m.entryName || m.hostPath).join(' '),
      wanted: source,
      action: 'mount',
      reason: atTarget.length === 0 ? `nothing is mounted at ${target}` : `${target} holds other storage`,
      detail: { kind: 'mount-storage', storage: source, target }
    })
  }

  if (request.ports !== undefined && !sameSet(request.ports, observed.ports))
    plan.steps.push({
      resource: `${resource} ports`,
      current: observed.ports.join(' ') || ABSENT,
      wanted: request.ports.join(' '),
      action: 'set',
      reason: 'the port map differs from the stack file',
      detail: { kind: 'set-ports', maps: [...request.ports] }
    })

  const changesEnvironment = plan.steps.some((s) => s.detail.kind !== 'create-app')
  if (observed.deployed && changesEnvironment)
    plan.steps.push({
      resource,
      current: 'running with the old settings',
      wanted: 'running with the new ones',
      action: 'restart',
      reason: 'config, storage and ports take effect on the next start',
      detail: { kind: 'restart-app' }
    })
  else if (changesEnvironment && observed.exists) plan.notes.push(`${app} is not deployed: its new settings take effect on its first deploy.`)
  return plan
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/** Runs one app step; returns whether it changed the host. Values come from the request, never from the step. */
export async function applyAppStep(dokku: DokkuClient, request: AppRequest, step: AppStep, logger: Logger): Promise<boolean> {
  const { app } = request
  const detail = step.detail
  switch (detail.kind) {
    case 'create-app':
      return (await dokku.apps.create(app)).changed
    case 'set-config': {
      const values = Object.fromEntries(detail.keys.map((key) => [key, (request.secrets[key] ?? request.config[key]) as string]))
      return (await dokku.config.set(app, values, { restart: false })).changed
    }
    case 'mount-storage':
      return (await dokku.storage.ensureMount(app, detail.storage, detail.target)).changed
    case 'set-ports':
      await dokku.ports.set(app, detail.maps)
      return true
    case 'restart-app':
      return (await dokku.ps.restart(app, { onOutput: (line) => logger.info(line) })).changed
  }
}
