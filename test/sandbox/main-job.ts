// The README's main job: the dokku-stack steps of workflows-examples/deploy-on-merge.yml, run
// against a sandbox host with the committed dist/ bundles on the sample app, twice (the second
// run shows that a converged host changes nothing). Used by `npm start` and by its test.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

/** The checkout of the sample app that actions/checkout would give the job, as a fresh git repository. */
export function prepareWorkspace(): { dir: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sample-app-'))
  cpSync(join(REPO_ROOT, 'examples', 'sample-app'), dir, { recursive: true })
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
    const port = await sandbox.reserveAppPort(MAIN_JOB_APP)
    const secrets = { DOKKU_SSH_KEY: sandbox.users.dokku.privateKey, PHOENIX_KEY_BASE: randomSecret(), JOKEN_SIGNER: randomSecret() }
    const context: WorkflowContext = {
      vars: {
        ...hostVars(sandbox),
        URO_DOMAIN: `${MAIN_JOB_APP}.sandbox.test`,
        URO_HEALTH_URL: `http://127.0.0.1:${port}/health`
      },
      secrets,
      // No GitHub API here: without a token the deploy records no Deployment.
      github: { token: '', sha: workspace.sha }
    }
    const env = { GITHUB_SHA: workspace.sha, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' }
    const workflowPath = join(REPO_ROOT, 'workflows-examples', 'deploy-on-merge.yml')
    const runs: MainJobRun[] = []
    const jobs = [
      ['Deploy on merge', 'first run: provisions the database and Redis, creates the app, sets its config and deploys the sample app'],
      ['Deploy on merge, re-run', 'second run: the host already runs this commit with this config, so nothing changes']
    ] as const
    for (const [title, note] of options.reRun === false ? jobs.slice(0, 1) : jobs) {
      print(`\n═══ ${title} (${note}) ═══`)
      const records = await runWorkflowJob({ workflowPath, job: 'deploy', repoRoot: REPO_ROOT, workspace: workspace.dir, context, env, print })
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
