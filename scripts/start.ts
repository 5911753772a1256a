// `npm start`, the README's main job: brings up a sandbox host, then runs the dokku-stack steps of
// workflows-examples/deploy-on-merge.yml against it with the committed dist/ bundles, on the
// sample app in examples/sample-app, and prints each step's log and job summary. It runs the job a
// second time to show that a converged host changes nothing, then stops the sandbox.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, startSandbox } from '../test/sandbox/harness/sandbox.ts'
import { randomSecret, runWorkflowJob, type StepRecord, type WorkflowContext } from '../test/sandbox/workflow-runner.ts'

const APP = 'uro'

function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

function prepareWorkspace(): { dir: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sample-app-'))
  cpSync(join(REPO_ROOT, 'examples', 'sample-app'), dir, { recursive: true })
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'dokku-stack', GIT_AUTHOR_EMAIL: 'dokku-stack@example.invalid', GIT_COMMITTER_NAME: 'dokku-stack', GIT_COMMITTER_EMAIL: 'dokku-stack@example.invalid' } }).trim()
  git('init', '-q', '-b', 'main')
  git('add', '.')
  git('commit', '-q', '-m', 'sample app')
  return { dir, sha: git('rev-parse', 'HEAD') }
}

function report(records: StepRecord[]): boolean {
  for (const record of records) {
    if (record.summary) {
      say(`\n── job summary: ${record.name} ──`)
      say(record.summary)
    }
    if (Object.keys(record.outputs).length > 0) say(`outputs: ${JSON.stringify(record.outputs)}`)
  }
  return records.every((r) => r.exitCode === 0)
}

async function main(): Promise<number> {
  say('Starting the sandbox host (real sshd, PostgreSQL and S3 server; simulated Dokku)…')
  const sandbox = await startSandbox()
  const workspace = prepareWorkspace()
  try {
    const port = await sandbox.reserveAppPort(APP)
    const context: WorkflowContext = {
      vars: {
        DOKKU_HOST: sandbox.host,
        DOKKU_SSH_PORT: String(sandbox.port),
        DOKKU_HOST_KEY: sandbox.knownHostsLine,
        URO_DOMAIN: `${APP}.sandbox.test`,
        URO_HEALTH_URL: `http://127.0.0.1:${port}/health`
      },
      secrets: { DOKKU_SSH_KEY: sandbox.users.dokku.privateKey, PHOENIX_KEY_BASE: randomSecret(), JOKEN_SIGNER: randomSecret() },
      // No GitHub API here: without a token the action records no Deployment.
      github: { token: '', sha: workspace.sha }
    }
    const env = { GITHUB_SHA: workspace.sha, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' }
    const workflowPath = join(REPO_ROOT, 'workflows-examples', 'deploy-on-merge.yml')
    let ok = true
    for (const [title, note] of [
      ['Deploy on merge', 'first run: creates the app, sets its config and deploys the sample app'],
      ['Deploy on merge, re-run', 'second run: the host already runs this commit with this config, so nothing changes']
    ] as const) {
      say(`\n═══ ${title} (${note}) ═══`)
      const records = await runWorkflowJob({ workflowPath, job: 'deploy', repoRoot: REPO_ROOT, workspace: workspace.dir, context, env, print: (line) => say(line) })
      ok = report(records) && ok
      if (!ok) break
    }
    say(ok ? '\nThe main job succeeded against the sandbox host.' : '\nThe main job failed.')
    return ok ? 0 : 1
  } finally {
    rmSync(workspace.dir, { recursive: true, force: true })
    await sandbox.stop()
  }
}

process.exitCode = await main()
