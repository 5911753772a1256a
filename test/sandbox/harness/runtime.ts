// What the sandbox's `dokku` Unix user executes — Node 24 and the Dokku simulator's sources —
// placed where that user can reach it, wherever the checkout is. A clone under /root (mode 700 on
// Debian) is open to root only, so the dokku user, which logs in through the real sshd and runs
// the simulator, must never need a path inside the checkout. Rather than loosen the permissions
// of anyone's home, the harness puts:
//
//   /var/lib/dokku-stack-sandbox/node-vVERSION   Node, hard-linked from the checkout (a copy when
//                                                that cannot be shared), once per Node version
//   /var/lib/dokku-stack-sandbox/modules-HASH/node_modules
//                                                the checkout's node_modules, hard-linked once per
//                                                package-lock.json (the SeaweedFS stand-in imports fauxqs)
//   <sandbox>/simulator/                         the simulator's sources, copied at each start
//                                                (a few dozen small files: tests see edits at once)
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createHash } from 'node:crypto'
import { chmod, copyFile, link, lstat, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Root-owned and world-readable; the sandbox's cache of what other users run. */
export const RUNTIME_DIR = '/var/lib/dokku-stack-sandbox'

const placed = new Map<string, Promise<string>>()

/**
 * A path to the same Node as `node` that every user can execute: RUNTIME_DIR/node-vVERSION.
 * Made once per Node version (an entry whose size differs from `node` is replaced); a hard link
 * costs nothing, a copy (another file system, or a binary other users may not execute) ~0.5 s once.
 */
export function nodeForEveryUser(node: string): Promise<string> {
  let result = placed.get(node)
  if (!result) {
    result = placeNode(node)
    placed.set(node, result)
    result.catch(() => placed.delete(node))
  }
  return result
}

async function placeNode(node: string): Promise<string> {
  await ensureRuntimeDir()
  const source = await stat(node)
  const target = join(RUNTIME_DIR, `node-v${await nodeVersion(node)}`)
  const existing = await stat(target).catch(() => undefined)
  if (existing && existing.size === source.size && isExecutableByOthers(existing.mode)) return target

  // Build under a unique name, then rename over the target: sandboxes starting at the same time
  // in other processes never see a half-written binary.
  const temporary = join(RUNTIME_DIR, `.node-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    // A hard link shares the checkout's file, mode included: only usable when others may run it.
    const linked = isExecutableByOthers(source.mode) && (await link(node, temporary).then(() => true, () => false))
    if (!linked) {
      await copyFile(node, temporary)
      await chmod(temporary, 0o755)
    }
    await rename(temporary, target)
  } finally {
    await rm(temporary, { force: true })
  }
  return target
}

/** The npm `node` package (and its per-platform package) says its version beside bin/; else ask. */
async function nodeVersion(node: string): Promise<string> {
  if (node === process.execPath) return process.versions.node
  try {
    const { version } = JSON.parse(await readFile(join(dirname(dirname(node)), 'package.json'), 'utf8')) as { version?: unknown }
    if (typeof version === 'string' && /^\d+\.\d+\.\d+$/.test(version)) return version
  } catch {
    // not laid out like the npm package: ask the binary itself
  }
  const { stdout } = await run(node, ['--version'])
  return stdout.trim().replace(/^v/, '')
}

/** Creates RUNTIME_DIR, and refuses one that anyone but root could have written to: root runs what is in it. */
async function ensureRuntimeDir(): Promise<void> {
  await mkdir(RUNTIME_DIR, { recursive: true, mode: 0o755 })
  const info = await lstat(RUNTIME_DIR)
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(
      `${RUNTIME_DIR} must be a directory owned by root and writable by root only (it holds the Node binary the sandbox runs as root and as the dokku user); ` +
        `it is ${info.isSymbolicLink() ? 'a symbolic link' : `owned by uid ${info.uid} with mode ${(info.mode & 0o777).toString(8)}`}. Fix: remove it, the sandbox re-creates it`
    )
  }
  // mkdir's mode is filtered by the umask; the dokku user must be able to enter the directory.
  if ((info.mode & 0o005) !== 0o005) await chmod(RUNTIME_DIR, 0o755)
}

function isExecutableByOthers(mode: number): boolean {
  return (mode & 0o005) === 0o005
}

const placedModules = new Map<string, Promise<string>>()

/**
 * A node_modules directory with the same packages as the checkout's `nodeModules`, readable by every
 * user: RUNTIME_DIR/modules-HASH/node_modules, HASH from `lockFile`. Hard links (`cp -al`, about a
 * second once per lock file) share the checkout's files and their 0644 modes; across file systems
 * it is a copy. A lock file that changes gets a new directory; old ones are left for the operator.
 */
export function modulesForEveryUser(nodeModules: string, lockFile: string): Promise<string> {
  let result = placedModules.get(nodeModules)
  if (!result) {
    result = placeModules(nodeModules, lockFile)
    placedModules.set(nodeModules, result)
    result.catch(() => placedModules.delete(nodeModules))
  }
  return result
}

async function placeModules(nodeModules: string, lockFile: string): Promise<string> {
  await ensureRuntimeDir()
  const hash = createHash('sha256').update(await readFile(lockFile)).digest('hex').slice(0, 16)
  const home = join(RUNTIME_DIR, `modules-${hash}`)
  const target = join(home, 'node_modules')
  if (await stat(join(home, '.complete')).then(() => true, () => false)) return target

  // Built under a unique name and renamed into place: sandboxes starting at once in other
  // processes see either nothing or the whole tree.
  const temporary = join(RUNTIME_DIR, `.modules-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(temporary, { mode: 0o755 })
    await chmod(temporary, 0o755)
    const into = join(temporary, 'node_modules')
    try {
      await run('cp', ['-al', nodeModules, into])
    } catch {
      await rm(into, { recursive: true, force: true })
      await run('cp', ['-a', nodeModules, into])
      await run('chmod', ['-R', 'a+rX', into])
    }
    await copyFile(lockFile, join(temporary, '.complete'))
    await rename(temporary, home).catch(async (error: NodeJS.ErrnoException) => {
      // Another process placed the same lock file first: use theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
  } finally {
    await rm(temporary, { recursive: true, force: true })
  }
  return target
}

/** Copies the directory tree `from` to `to` (created), readable by every user whatever the checkout's modes. */
export async function copyReadableTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true })
  await chmod(to, 0o755)
  const entries = await readdir(from, { withFileTypes: true })
  await Promise.all(
    entries.map(async (entry) => {
      const source = join(from, entry.name)
      const target = join(to, entry.name)
      if (entry.isDirectory()) {
        await copyReadableTree(source, target)
      } else if (entry.isFile()) {
        await copyFile(source, target)
        await chmod(target, 0o644)
      }
    })
  )
}
