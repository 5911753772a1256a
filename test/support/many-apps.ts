// The "20 apps converged by the stack action in one run" scenario of issue 17, as one stack file
// for the root action: N apps sharing one postgres and one redis service, each with its own config,
// a secret from the step's environment, a storage mount, a domain routed through Caddy, a port and
// an image to deploy. After the first run every app must answer with its image, hold its config and
// secret in the running container, have its mount and domain, and hold no deploy lock; the second
// run must plan nothing (test/integration/reliability/concurrency-twenty-apps.test.ts).
import { createHash, randomUUID } from 'node:crypto'
import type { Sandbox } from '../sandbox/harness/sandbox.ts'
import { registerTestSecret } from './secret-registry.ts'
import { deployedNow, deployLockRef } from './sandbox-deploys.js'

export interface ManyApp {
  name: string
  /** Plain config the stack file sets. */
  config: Record<string, string>
  /** The environment variable the app's secret comes from. */
  secretVariable: string
  storage: { source: string; target: string }
  domain: string
  port: number
  /** Pinned by digest, one per app: what the app answers with once deployed. */
  image: string
}

export interface ManyAppsStack {
  apps: ManyApp[]
  /** The services every app links. */
  services: { postgres: string; redis: string }
  /** The stack file's text. */
  text: string
  /** The step's environment: each app's secret (registered for the suite's secret scan). */
  env: Record<string, string>
}

/** `count` apps named `<prefix>-01`…, in one stack file, with fresh secrets. */
export function manyAppsStack(options: { prefix: string; count: number }): ManyAppsStack {
  const { prefix } = options
  const services = { postgres: `${prefix}-db`, redis: `${prefix}-redis` }
  const env: Record<string, string> = {}
  const apps = Array.from({ length: options.count }, (_, i): ManyApp => {
    const index = String(i + 1).padStart(2, '0')
    const name = `${prefix}-${index}`
    const secretVariable = `${prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_KEY_${index}`
    const secret = `${name}-${randomUUID().replace(/-/g, '')}`
    registerTestSecret(`stack secret ${secretVariable}`, secret)
    env[secretVariable] = secret
    return {
      name,
      config: { APP_INDEX: String(i + 1), APP_ROLE: `role of ${name}` },
      secretVariable,
      storage: { source: `${name}-data`, target: '/app/data' },
      domain: `${name}.sandbox.test`,
      port: 5000 + i,
      image: `registry.example/acme/${name}@sha256:${createHash('sha256').update(name).digest('hex')}`
    }
  })
  const text = [
    'version: 1',
    'services:',
    `  ${services.postgres}: { engine: postgres }`,
    `  ${services.redis}: { engine: redis }`,
    'proxy: { letsencrypt-email: ops@example.org, tls: internal }',
    'apps:',
    ...apps.flatMap((app) => [
      `  ${app.name}:`,
      `    services: [${services.postgres}, ${services.redis}]`,
      `    config: { ${Object.entries(app.config).map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')} }`,
      `    secrets: [${app.secretVariable}]`,
      `    domains: [${app.domain}]`,
      `    port: ${app.port}`,
      `    storage: ["${app.storage.source}:${app.storage.target}"]`,
      `    deploy: { image: "${app.image}" }`
    ]),
    ''
  ].join('\n')
  return { apps, services, text, env }
}

/**
 * What is wrong with each app on the host after the stack converged it, as `app: what` lines (never
 * a secret's value): empty when every app holds. `at once` bounds the checks running together.
 */
export async function manyAppsProblems(sandbox: Sandbox, stack: ManyAppsStack, atOnce = 5): Promise<string[]> {
  const problems: string[] = []
  const queue = [...stack.apps]
  const check = async (app: ManyApp): Promise<void> => {
    const problem = (what: string) => problems.push(`${app.name}: ${what}`)
    const dokku = async (command: string) => {
      const result = await sandbox.ssh('dokku', command, { stdin: '' })
      if (result.code !== 0) throw new Error(`dokku ${command} exited ${result.code}: ${result.stderr.trim()}`)
      return result.stdout
    }
    const running = await deployedNow(sandbox, app.name).catch((error: unknown) => `no answer (${String(error)})`)
    if (running !== app.image) problem(`answers with ${running}, not ${app.image}`)
    // The running container's environment: the config and the secret took effect, and the links.
    const response = await fetch(`${await sandbox.appUrl(app.name)}/__sandbox/env`)
    const live = response.ok ? ((await response.json()) as Record<string, string>) : {}
    for (const [key, value] of Object.entries(app.config)) if (live[key] !== value) problem(`runs with ${key}=${JSON.stringify(live[key])}, not ${JSON.stringify(value)}`)
    if (live[app.secretVariable] !== stack.env[app.secretVariable]) problem(`runs without its secret ${app.secretVariable} (${live[app.secretVariable] === undefined ? 'absent' : 'another value'})`)
    if (!live.DATABASE_URL?.startsWith('postgres://')) problem(`runs without DATABASE_URL from ${stack.services.postgres}`)
    if (!live.REDIS_URL?.startsWith('redis://')) problem(`runs without REDIS_URL from ${stack.services.redis}`)
    const mounts = JSON.parse(await dokku(`storage:list ${app.name} --format json`)) as Array<{ host_path?: string; container_path?: string; entry_name?: string }>
    if (!mounts.some((m) => m.container_path === app.storage.target && (m.entry_name === app.storage.source || m.host_path?.endsWith(`/${app.storage.source}`))))
      problem(`has no mount of ${app.storage.source} at ${app.storage.target} (${JSON.stringify(mounts)})`)
    const vhosts = (await dokku(`domains:report ${app.name} --domains-app-vhosts`)).trim().split(/\s+/)
    if (!vhosts.includes(app.domain)) problem(`has the domains ${JSON.stringify(vhosts)}, not ${app.domain}`)
    // No lock left: neither Dokku's deploy lock nor the deploy mutex's ref.
    if ((await dokku(`apps:report ${app.name} --app-locked`)).trim() !== 'false') problem("still holds Dokku's deploy lock")
    const mutex = await deployLockRef(sandbox, app.name)
    if (mutex !== '') problem(`still holds the deploy mutex (${mutex})`)
  }
  const worker = async (): Promise<void> => {
    for (let app = queue.shift(); app; app = queue.shift()) await check(app).catch((error: unknown) => problems.push(`${app.name}: could not be checked: ${String(error)}`))
  }
  await Promise.all(Array.from({ length: atOnce }, worker))
  return problems.sort()
}
