// Shared pieces of the contract suite: a sandbox per test file, real git repositories to push.
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll } from 'vitest'
import { startSandbox } from '../sandbox/harness/sandbox.ts'
import type { Sandbox, SandboxOptions, SshResult } from '../sandbox/harness/sandbox.ts'

const exec = promisify(execFile)

export interface Harness {
  sandbox: Sandbox
  dokku(command: string, stdin?: Buffer | string): Promise<SshResult>
  root(command: string): Promise<SshResult>
}

/** Starts one sandbox for the calling test file (beforeAll) and stops it afterwards. */
export function useSandbox(options: SandboxOptions = {}): Harness {
  const h = {} as Harness
  beforeAll(async () => {
    h.sandbox = await startSandbox(options)
    h.dokku = (command, stdin) => h.sandbox.ssh('dokku', command, { stdin: stdin ?? '', timeoutMs: 120_000 })
    h.root = (command) => h.sandbox.ssh('root', command, { stdin: '', timeoutMs: 120_000 })
  }, 120_000)
  afterAll(async () => {
    await h.sandbox?.stop()
  }, 60_000)
  return h
}

export interface Repo {
  dir: string
  git(...args: string[]): Promise<{ stdout: string; stderr: string }>
  commit(files: Record<string, string>, message?: string): Promise<string>
  push(h: Harness, app: string, refspec: string, extra?: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  cleanup(): Promise<void>
}

export async function makeRepo(branch = 'main'): Promise<Repo> {
  const dir = await mkdtemp(join(tmpdir(), 'contract-repo-'))
  const git = async (...args: string[]) => exec('git', ['-C', dir, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
  await git('init', '-q', '-b', branch)
  const repo: Repo = {
    dir,
    git,
    async commit(files, message = 'commit') {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true })
        if (content === '') await rm(join(dir, path), { force: true }).then(() => writeFile(join(dir, path), ''))
        else await writeFile(join(dir, path), content)
      }
      await git('add', '-A')
      await git('commit', '-q', '--allow-empty', '-m', message)
      return (await git('rev-parse', 'HEAD')).stdout.trim()
    },
    async push(h, app, refspec, extra = []) {
      try {
        const r = await exec('git', ['-C', dir, 'push', ...extra, h.sandbox.remoteUrl(app), refspec], { env: h.sandbox.gitEnv(), timeout: 120_000 })
        return { code: 0, stdout: r.stdout, stderr: r.stderr }
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string }
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
      }
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true })
    }
  }
  return repo
}

/** the lines of a git push's `remote:` output, without the prefix, ANSI erase codes or sideband padding */
export function remoteLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice(8).split('\u001b[1G\u001b[K').join('').replace(/\s+$/, ''))
}

export async function httpGet(url: string): Promise<{ status: number; deployed: string | null; body: string }> {
  const res = await fetch(url)
  return { status: res.status, deployed: res.headers.get('x-sandbox-deployed'), body: await res.text() }
}
