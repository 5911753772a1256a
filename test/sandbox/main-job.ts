// The README's main job: the root action converging the repository's stack file (dokku-stack.yml)
// on a sandbox host with the committed dist/ bundles, in a workspace holding the sample app and
// that file, twice (the second run shows that a converged host changes nothing). Used by
// `npm start` and by its test.
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { REPO_ROOT, type Sandbox } from './harness/sandbox.ts'
import { randomSecret, runWorkflowJob, type StepRecord, type WorkflowContext } from './workflow-runner.ts'

export const MAIN_JOB_APP = 'uro'

export interface MainJobRun {
  title: string
  records: StepRecord[]
}

export interface MainJobResult {
  ok: boolean
  runs: MainJobRun[]
  /** The secrets handed to the workflow, so a test can prove none was printed. */
  secrets: Record<string, string>
}

/** The vars every example uses to reach the Dokku host, filled from the sandbox. */
export function hostVars(sandbox: Sandbox): Record<string, string> {
  return { DOKKU_HOST: sandbox.host, DOKKU_SSH_PORT: String(sandbox.port), DOKKU_HOST_KEY: sandbox.knownHostsLine }
}

/** The stack file the main job converges: the repository's example. */
export const STACK_FILE = join(REPO_ROOT, 'dokku-stack.yml')

/** What the main job needs to know of the stack file: the secrets to hand the step, the store's app. */
export function stackFacts(path = STACK_FILE): { secrets: string[]; store: string | undefined; services: Record<string, string> } {
  const file = parse(readFileSync(path, 'utf8')) as {
    services?: Record<string, { engine: string }>
    'object-store'?: { app?: string }
    apps?: Record<string, { secrets?: string[] }>
  }
  return {
    secrets: [...new Set(Object.values(file.apps ?? {}).flatMap((app) => app.secrets ?? []))],
    store: file['object-store'] ? (file['object-store'].app ?? 'seaweedfs') : undefined,
    services: Object.fromEntries(Object.entries(file.services ?? {}).map(([name, s]) => [name, s.engine]))
  }
}

/** The job a user's workflow would run: check out, then the root action on the stack file. */
export function stackWorkflow(secrets: readonly string[]): string {
  return `jobs:
  stack:
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - id: stack
        name: Stack
        uses: your-org/dokku-stack@v1
        env:
${secrets.map((name) => `          ${name}: \${{ secrets.${name} }}`).join('\n')}
        with:
          host: \${{ vars.DOKKU_HOST }}
          ssh-port: \${{ vars.DOKKU_SSH_PORT }}
          ssh-private-key: \${{ secrets.DOKKU_SSH_KEY }}
          ssh-host-key: \${{ vars.DOKKU_HOST_KEY }}
          stack-file: dokku-stack.yml
          object-store-endpoint: \${{ vars.OBJECT_STORE_ENDPOINT }}
          # The sandbox has no public DNS: the domains are not probed from the runner.
          verify: false
`
}

/** The checkout the job works in: the sample app and the stack file, as a fresh git repository. */
export function prepareWorkspace(): { dir: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sample-app-'))
  cpSync(join(REPO_ROOT, 'examples', 'sample-app'), dir, { recursive: true })
  copyFileSync(STACK_FILE, join(dir, 'dokku-stack.yml'))
  const identity = { GIT_AUTHOR_NAME: 'dokku-stack', GIT_AUTHOR_EMAIL: 'dokku-stack@example.invalid', GIT_COMMITTER_NAME: 'dokku-stack', GIT_COMMITTER_EMAIL: 'dokku-stack@example.invalid' }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...identity } }).trim()
  git('init', '-q', '-b', 'main')
  git('add', '.')
  git('commit', '-q', '-m', 'sample app')
  return { dir, sha: git('rev-parse', 'HEAD') }
}

/** reRun: false runs the job once, for callers that only need the host provisioned and deployed. */
export async function runMainJob(sandbox: Sandbox, print: (line: string) => void, options: { reRun?: boolean } = {}): Promise<MainJobResult> {
  const workspace = prepareWorkspace()
  try {
    const facts = stackFacts()
    const secrets: Record<string, string> = { DOKKU_SSH_KEY: sandbox.users.dokku.privateKey }
    for (const name of facts.secrets) secrets[name] = randomSecret()
    const context: WorkflowContext = {
      vars: { ...hostVars(sandbox), OBJECT_STORE_ENDPOINT: facts.store ? await sandbox.appUrl(facts.store) : '' },
      secrets,
      github: { token: '', sha: workspace.sha }
    }
    const env = { GITHUB_SHA: workspace.sha, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' }
    const runs: MainJobRun[] = []
    const jobs = [
      ['Stack', 'first run: provisions the services, the object store and the app, links them, deploys the sample app and routes it'],
      ['Stack, re-run', 'second run: the host is already as dokku-stack.yml says, so the plan is empty and nothing changes']
    ] as const
    for (const [title, note] of options.reRun === false ? jobs.slice(0, 1) : jobs) {
      print(`\n═══ ${title} (${note}) ═══`)
      const records = await runWorkflowJob({ workflowPath: 'stack.yml', workflowText: stackWorkflow(facts.secrets), job: 'stack', repoRoot: REPO_ROOT, workspace: workspace.dir, context, env, print })
      for (const record of records) {
        if (record.summary) print(`\n── job summary: ${record.name} ──\n${record.summary}`)
        if (Object.keys(record.shownOutputs).length > 0) print(`outputs: ${JSON.stringify(record.shownOutputs)}`)
      }
      runs.push({ title, records })
      if (!records.every((r) => r.exitCode === 0)) return { ok: false, runs, secrets }
    }
    return { ok: true, runs, secrets }
  } finally {
    rmSync(workspace.dir, { recursive: true, force: true })
  }
}
