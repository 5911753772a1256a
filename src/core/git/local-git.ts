import { getExecOutput } from '@actions/exec'
import { redact } from '../secrets.js'

export interface GitResult {
  code: number
  stdout: string
  stderr: string
}

export interface GitRunOptions {
  env?: Record<string, string>
  /** Each stderr line as it arrives (git push prints the remote's `remote:` lines there). */
  onStderrLine?: (line: string) => void
  ignoreReturnCode?: boolean
}

/** The runner's checkout: the typed client for the local `git` the deploy pushes from. */
export class LocalGit {
  readonly workdir: string

  constructor(workdir: string) {
    this.workdir = workdir
  }

  async run(args: string[], options: GitRunOptions = {}): Promise<GitResult> {
    let pending = ''
    const result = await getExecOutput('git', args, {
      cwd: this.workdir,
      silent: true,
      ignoreReturnCode: true,
      env: { ...(process.env as Record<string, string>), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env },
      listeners: {
        stderr: (chunk: Buffer) => {
          if (!options.onStderrLine) return
          // git rewrites progress lines with \r; treat both as line ends.
          pending += chunk.toString()
          const lines = pending.split(/\r?\n|\r/)
          pending = lines.pop() ?? ''
          for (const line of lines) if (line !== '') options.onStderrLine(line)
        }
      }
    })
    if (pending !== '' && options.onStderrLine) options.onStderrLine(pending)
    if (result.exitCode !== 0 && !options.ignoreReturnCode)
      throw new Error(`git ${redact(args.join(' '))} exited with code ${result.exitCode}: ${redact(result.stderr.trim())}`)
    return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr }
  }

  async isRepository(): Promise<boolean> {
    const result = await this.run(['rev-parse', '--is-inside-work-tree'], { ignoreReturnCode: true })
    return result.code === 0 && result.stdout.trim() === 'true'
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true'
  }

  /** The full commit SHA a ref names, or undefined when it names no commit. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { ignoreReturnCode: true })
    return result.code === 0 ? result.stdout.trim() : undefined
  }

  async hasCommit(sha: string): Promise<boolean> {
    return (await this.run(['cat-file', '-e', `${sha}^{commit}`], { ignoreReturnCode: true })).code === 0
  }

  /** Fetches the whole history from `remote` so that a push carries every object the host may lack. */
  async unshallow(remote: string): Promise<GitResult> {
    return this.run(['fetch', '--unshallow', '--quiet', '--no-tags', remote], { ignoreReturnCode: true })
  }

  /** Fetches one commit by SHA (a rollback target missing from a partial checkout). */
  async fetchCommit(remote: string, sha: string): Promise<GitResult> {
    return this.run(['fetch', '--quiet', '--no-tags', remote, sha], { ignoreReturnCode: true })
  }
}
