import { readFileSync } from 'node:fs'

/** The facts of the workflow run the actions depend on, read from the runner's environment when asked (not at import). */
export interface RunContext {
  eventName: string | undefined
  sha: string | undefined
  repository: { owner: string; repo: string } | undefined
  pullRequest: { number: number; headSha: string; headRef: string } | undefined
  workspace: string
  runUrl: string | undefined
  apiUrl: string
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  let pullRequest: RunContext['pullRequest']
  if (env.GITHUB_EVENT_PATH) {
    try {
      const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as {
        pull_request?: { number?: number; head?: { sha?: string; ref?: string } }
      }
      const pr = payload.pull_request
      if (pr?.number && pr.head?.sha) pullRequest = { number: pr.number, headSha: pr.head.sha, headRef: pr.head.ref ?? '' }
    } catch {
      // No readable event payload (a local run): there is simply no pull request.
    }
  }
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  return {
    eventName: env.GITHUB_EVENT_NAME,
    sha: env.GITHUB_SHA,
    repository: owner && repo ? { owner, repo } : undefined,
    pullRequest,
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    runUrl: owner && repo && env.GITHUB_RUN_ID ? `${server}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com'
  }
}
