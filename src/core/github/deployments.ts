import { getOctokit } from '@actions/github'
import type { RunContext } from './context.js'

type Octokit = ReturnType<typeof getOctokit>
export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive'

/**
 * GitHub Deployments and pull-request comments for a deploy: the typed client for the GitHub API.
 * Deployments are created for the commit SHA (not a branch, which would show the wrong commit
 * after a later merge) with `required_contexts: []` and `auto_merge: false` (both avoid 409s).
 */
export class GitHubDeployments {
  private readonly octokit: Octokit
  private readonly owner: string
  private readonly repo: string
  private readonly runUrl: string | undefined

  constructor(token: string, context: RunContext) {
    if (!context.repository) throw new Error('GITHUB_REPOSITORY is not set, so there is no repository to record the deployment in')
    this.octokit = getOctokit(token, { baseUrl: context.apiUrl })
    this.owner = context.repository.owner
    this.repo = context.repository.repo
    this.runUrl = context.runUrl
  }

  async start(params: { sha: string; environment: string; transient: boolean; description: string; payload: Record<string, unknown> }): Promise<number> {
    const created = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.repo,
      ref: params.sha,
      environment: params.environment,
      description: params.description,
      required_contexts: [],
      auto_merge: false,
      transient_environment: params.transient,
      production_environment: !params.transient && params.environment === 'production',
      payload: params.payload
    })
    if (!('id' in created.data)) throw new Error(`GitHub did not create the deployment: ${created.data.message ?? 'no reason given'}`)
    await this.status(created.data.id, 'in_progress', { description: params.description })
    return created.data.id
  }

  async status(id: number, state: DeploymentState, params: { description: string; environmentUrl?: string }): Promise<void> {
    await this.octokit.rest.repos.createDeploymentStatus({
      owner: this.owner,
      repo: this.repo,
      deployment_id: id,
      state,
      description: params.description.slice(0, 140),
      ...(params.environmentUrl ? { environment_url: params.environmentUrl } : {}),
      ...(this.runUrl ? { log_url: this.runUrl } : {}),
      auto_inactive: state === 'success'
    })
  }

  /** Marks every deployment of an environment inactive (a destroyed review app). Deleting needs an admin token, so it is left to the user. */
  async deactivate(environment: string): Promise<number> {
    const deployments = await this.octokit.paginate(this.octokit.rest.repos.listDeployments, { owner: this.owner, repo: this.repo, environment, per_page: 100 })
    for (const deployment of deployments) await this.status(deployment.id, 'inactive', { description: 'review app destroyed' })
    return deployments.length
  }

  /** One comment per pull request and marker, edited in place on every run instead of piling up. */
  async stickyComment(pullRequest: number, marker: string, body: string): Promise<void> {
    const tag = `<!-- dokku-stack:${marker} -->`
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { owner: this.owner, repo: this.repo, issue_number: pullRequest, per_page: 100 })
    const existing = comments.find((comment) => comment.body?.includes(tag))
    const text = `${tag}\n${body}`
    if (existing) await this.octokit.rest.issues.updateComment({ owner: this.owner, repo: this.repo, comment_id: existing.id, body: text })
    else await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: pullRequest, body: text })
  }
}
