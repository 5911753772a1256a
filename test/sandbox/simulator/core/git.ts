// Running the machine's real git on the app repositories.
import { spawnSync } from 'node:child_process'

export interface RunResult {
  status: number
  stdout: string
  stderr: string
}

/** A clean environment for git operations that must not see a push's GIT_DIR/quarantine. */
export function cleanGitEnv(keepQuarantine = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('GIT_')) {
      if (keepQuarantine && (k === 'GIT_OBJECT_DIRECTORY' || k === 'GIT_ALTERNATE_OBJECT_DIRECTORIES')) env[k] = v
      continue
    }
    env[k] = v
  }
  env.GIT_TERMINAL_PROMPT = '0'
  return env
}

export function git(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): RunResult {
  const result = spawnSync('git', args, {
    cwd: opts.cwd,
    env: opts.env ?? cleanGitEnv(),
    input: opts.input,
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024
  })
  return {
    status: result.status ?? 1,
    stdout: result.stdout?.toString('utf8') ?? '',
    stderr: result.stderr?.toString('utf8') ?? ''
  }
}

export function gitOk(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): string {
  const r = git(args, opts)
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr.trim()}`)
  return r.stdout
}
