// The README's commands work wherever the repository is cloned, also where only root may enter:
// a clone under /root (mode 700 on Debian) runs `npm start` to the end, and `npm test` on a
// contract test (the whole suite would take too long here). The sandbox's `dokku`
// user, which logs in through the real sshd and runs the Dokku simulator, must need nothing
// inside the clone. The clone is the checkout's files as they are now (tracked, and new ones not ignored), with a
// node_modules whose Node binary lives inside the clone too (as after `npm ci` there); the
// other packages are symbolic links to this checkout's, since only root reads them.
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { copyFile, link, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify, stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../sandbox/harness/sandbox.ts'

const run = promisify(execFile)
const NPM_START_TIMEOUT_MS = 300_000

async function copyTrackedFiles(to: string): Promise<void> {
  const { stdout } = await run('git', ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { maxBuffer: 16 * 1024 * 1024 })
  for (const path of stdout.split('\0').filter((p) => p !== '')) {
    const source = join(REPO_ROOT, path)
    if (!existsSync(source)) continue // deleted in the working tree, not yet committed
    await mkdir(dirname(join(to, path)), { recursive: true })
    await copyFile(source, join(to, path))
  }
}

/** node_modules with the Node binary inside the clone and every other package linked to this checkout's. */
async function nodeModulesWithOwnNode(clone: string): Promise<void> {
  const shared = join(REPO_ROOT, 'node_modules')
  const own = join(clone, 'node_modules')
  await mkdir(own)
  for (const name of await readdir(shared)) {
    if (name !== 'node') await symlink(join(shared, name), join(own, name))
  }
  await mkdir(join(own, 'node', 'bin'), { recursive: true })
  for (const name of await readdir(join(shared, 'node'))) {
    if (name !== 'bin') await symlink(join(shared, 'node', name), join(own, 'node', name))
  }
  // A hard link is a file of the clone's own, as a copy would be, without copying 120 MB.
  const binary = join(shared, 'node', 'bin', 'node')
  await link(binary, join(own, 'node', 'bin', 'node')).catch(() => copyFile(binary, join(own, 'node', 'bin', 'node')))
}

async function dokkuUserCanRead(path: string): Promise<boolean> {
  return run('setpriv', ['--reuid=dokku', '--regid=dokku', '--init-groups', 'test', '-r', path]).then(
    () => true,
    () => false
  )
}

/** Runs a command in its own process group; on the deadline the whole group is ended. */
function runBounded(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const endGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal)
      } catch {
        // the group has ended
      }
    }
    let killer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      output += `\n[${command} ${args.join(' ')} did not end within ${timeoutMs} ms: interrupted]\n`
      endGroup('SIGINT') // start.ts stops its sandbox on SIGINT
      killer = setTimeout(() => endGroup('SIGKILL'), 20_000)
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (killer) clearTimeout(killer)
      resolve({ code: code ?? signal ?? -1, output })
    })
  })
}

describe('a clone only root can enter', () => {
  let base: string
  let clone: string

  beforeAll(async () => {
    base = await mkdtemp('/root/dokku-stack-clone-')
    clone = join(base, 'dokku-stack')
    await copyTrackedFiles(clone)
    await nodeModulesWithOwnNode(clone)
  }, 120_000)

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true })
  })

  it('is closed to the dokku user, as a clone under /root is', async () => {
    expect(statSync(base).mode & 0o777).toBe(0o700)
    expect(await dokkuUserCanRead(join(clone, 'package.json'))).toBe(false)
  })

  it('runs `npm start` to the end', async () => {
    // `npm start` runs setup first, which would `npm ci` into the linked packages if they were stale.
    const lock = createHash('sha256').update(readFileSync(join(clone, 'package-lock.json'))).digest('hex')
    const stamp = readFileSync(join(clone, 'node_modules', '.dokku-stack-installed'), 'utf8').trim()
    expect(stamp, 'node_modules is not installed from this package-lock.json: run `npm run setup` first').toBe(lock)

    const { code, output } = await runBounded('npm', ['start'], clone, NPM_START_TIMEOUT_MS)
    expect(output).not.toContain('Permission denied')
    expect(code, output).toBe(0)
    expect(output).toContain('The main job succeeded against the sandbox host.')
  }, NPM_START_TIMEOUT_MS + 30_000)

  it('runs `npm test` on contract test files whose sandbox logs in as the dokku user and starts a SeaweedFS stand-in (it imports packages)', async () => {
    const { code, output } = await runBounded('npm', ['test', '--', 'test/contract/versions.test.ts', 'test/contract/seaweedfs.test.ts'], clone, NPM_START_TIMEOUT_MS)
    expect(output).not.toContain('Permission denied')
    expect(code, output).toBe(0)
    expect(stripVTControlCharacters(output)).toMatch(/Test Files\s+2 passed \(2\)/)
  }, NPM_START_TIMEOUT_MS + 30_000)
})
