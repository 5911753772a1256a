import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const identity = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.invalid' }

/** A real git repository in a temp directory: the checkout an action pushes from. */
export interface TestRepo {
  dir: string
  git(...args: string[]): Promise<string>
  /** Writes files (null deletes one), commits, returns the new commit's SHA. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>
  cleanup(): Promise<void>
}

export async function makeTestRepo(options: { cloneFrom?: string; depth?: number } = {}): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'test-repo-'))
  const git = async (...args: string[]) => (await exec('git', ['-C', dir, ...args], { env: { ...process.env, ...identity } })).stdout.trim()
  if (options.cloneFrom) {
    await exec('git', ['clone', '-q', ...(options.depth ? ['--depth', String(options.depth)] : []), `file://${options.cloneFrom}`, dir])
  } else {
    await git('init', '-q', '-b', 'main')
  }
  return {
    dir,
    git,
    async commit(files, message = 'change') {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path)
        if (content === null) await rm(full, { force: true })
        else {
          await mkdir(dirname(full), { recursive: true })
          await writeFile(full, content)
        }
      }
      await git('add', '-A')
      await git('commit', '-q', '--allow-empty', '-m', message)
      return git('rev-parse', 'HEAD')
    },
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}
