// A mutual-exclusion lock per Dokku app that two dokku-stack runs cannot both take.
//
// Dokku's own commands offer no compare-and-swap to the `dokku` user: `apps:lock` is os.Create on
// `.deploy.lock` and succeeds whether or not the file exists (dokku v0.38.27
// plugins/apps/subcommands.go:141), so `apps:locked` then `apps:lock` lets two runs both "acquire".
// A git push to the app's repository is the one write with real compare-and-swap semantics:
// receive-pack hands every ref update to the ref transaction together with the old value the client
// sent (git builtin/receive-pack.c update(): `ref_transaction_update(transaction, namespaced_name,
// new_oid, old_oid, …)`, deletions `ref_transaction_delete(…, old_oid, …)`), and the transaction
// takes the ref's lock file and refuses the update unless the ref still has that old value (a null
// old value: the ref must not exist) — so of two pushes that create the same ref, exactly one wins.
// `--force-with-lease=<ref>:<expected>` makes the client send `<expected>` as that old value.
//
// Dokku lets such a push through without deploying: its pre-receive hook (`dokku git-hook`, dokku
// v0.38.27 and v0.37.5 plugins/git/functions cmd-git-hook) deploys only a ref named like the deploy
// branch; for any other ref it prints "deploy did not complete, you must push to <branch>" and exits
// 0 — unless the app has no deploy branch at all (app and global unset), when it would adopt the
// pushed ref as the deploy branch and deploy it. Callers therefore set the deploy branch first.
// The ref lives outside refs/heads (`refs/dokku-stack/deploy-lock`), so `git clone` of the app
// repository (git:from-image) does not fetch it, and nothing deploys it.
//
// The lock's commit message records who holds it and until when (JSON). A live holder renews it
// (a new commit, same compare-and-swap) every third of its lease; a lock whose `expiresAt` has passed
// was left by a killed run and may be taken over, again by compare-and-swap on the sha that was read.
// A lock recorded for another app came along with `apps:clone` (which copies the repository) and is
// taken over at once.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { LocalGit } from './local-git.js'
import { dokkuRemoteUrl, withDokkuGitSsh, type PushCredentials } from './push.js'

export const DEPLOY_MUTEX_REF = 'refs/dokku-stack/deploy-lock'

/** What the lock's commit message records. */
export interface MutexRecord {
  readonly app: string
  readonly holder: string
  readonly acquiredAt: string
  readonly expiresAt: string
}

export type AcquireAttempt =
  | { readonly acquired: true; readonly tookOver?: MutexRecord }
  | { readonly acquired: false; readonly heldBy: MutexRecord | undefined }

/** The shortest lease a holder takes (its lock-timeout when longer). */
export const MIN_LEASE_MS = 60_000

export class DeployMutex {
  readonly app: string
  readonly holder: string
  readonly leaseMs: number
  private readonly credentials: PushCredentials
  private sha: string | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private chain: Promise<unknown> = Promise.resolve()
  /** Set when a renewal found the lock no longer ours (it had expired and was taken over). */
  lost: string | undefined

  /** Told the lock commit's sha whenever it changes (undefined once released), e.g. to hand it to a post step. */
  private readonly onChange: ((sha: string | undefined) => void) | undefined

  constructor(credentials: PushCredentials, app: string, options: { leaseMs: number; holder?: string; onChange?: (sha: string | undefined) => void }) {
    this.credentials = credentials
    this.app = app
    this.onChange = options.onChange
    this.leaseMs = Math.max(options.leaseMs, MIN_LEASE_MS)
    this.holder = options.holder ?? `${process.env.GITHUB_RUN_ID ? `run ${process.env.GITHUB_RUN_ID} ` : ''}${randomBytes(6).toString('hex')}`
  }

  get held(): boolean {
    return this.sha !== undefined
  }

  /** One compare-and-swap attempt: take the lock when it is free, expired, or inherited from another app. */
  async tryAcquire(now = new Date()): Promise<AcquireAttempt> {
    return this.withRepo(async (git, env) => {
      // The common case first: create the ref, which succeeds only if it does not exist.
      const created = await this.push(git, env, this.record(now), '')
      if (created) return this.hold(created)
      const current = await this.remoteSha(git, env)
      if (current === undefined) return { acquired: false, heldBy: undefined }
      const record = await this.read(git, env, current)
      const stale = record === undefined || record.app !== this.app || Date.parse(record.expiresAt) <= now.getTime() || record.holder === this.holder
      if (!stale) return { acquired: false, heldBy: record }
      const sha = await this.push(git, env, this.record(now), current)
      if (!sha) return { acquired: false, heldBy: record }
      const result = this.hold(sha)
      return record && record.holder !== this.holder ? { ...result, tookOver: record } : result
    })
  }

  /** Renews the lease (compare-and-swap on our own commit); marks the lock lost when that fails. */
  renew(): Promise<void> {
    const run = this.chain.then(async () => {
      if (!this.sha) return
      const expected = this.sha
      const sha = await this.withRepo((git, env) => this.push(git, env, this.record(new Date()), expected))
      if (sha) {
        this.sha = sha
        this.onChange?.(sha)
      } else {
        this.lost = `the deploy lock of ${this.app} was no longer ours when renewing it (it expired and another run took it over)`
        this.stopHeartbeat()
      }
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  /** Deletes the lock if it is still ours (compare-and-swap); returns whether it was. */
  async release(): Promise<boolean> {
    this.stopHeartbeat()
    await this.chain
    const expected = this.sha
    this.sha = undefined
    if (!expected) return false
    const released = await releaseDeployMutex(this.credentials, this.app, expected)
    this.onChange?.(undefined)
    return released
  }

  /** Stops renewing and forgets the lock without touching the host (its app is being destroyed with it). */
  abandon(): void {
    this.stopHeartbeat()
    this.sha = undefined
  }

  private hold(sha: string): { acquired: true } {
    this.sha = sha
    this.onChange?.(sha)
    this.lost = undefined
    this.stopHeartbeat()
    this.heartbeat = setInterval(() => void this.renew().catch(() => undefined), Math.floor(this.leaseMs / 3))
    this.heartbeat.unref?.()
    return { acquired: true }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  private record(now: Date): MutexRecord {
    return { app: this.app, holder: this.holder, acquiredAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.leaseMs).toISOString() }
  }

  private async remoteSha(git: LocalGit, env: Record<string, string>): Promise<string | undefined> {
    const result = await git.run(['ls-remote', dokkuRemoteUrl(this.credentials, this.app), DEPLOY_MUTEX_REF], { env, ignoreReturnCode: true })
    if (result.code !== 0) throw new Error(`git ls-remote of ${this.app} failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`)
    const line = result.stdout.split('\n').find((l) => l.endsWith(`\t${DEPLOY_MUTEX_REF}`))
    return line?.split('\t')[0]
  }

  private async read(git: LocalGit, env: Record<string, string>, sha: string): Promise<MutexRecord | undefined> {
    const fetched = await git.run(['fetch', '--quiet', '--no-tags', dokkuRemoteUrl(this.credentials, this.app), DEPLOY_MUTEX_REF], { env, ignoreReturnCode: true })
    if (fetched.code !== 0) return undefined
    const message = await git.run(['log', '-1', '--format=%B', sha], { ignoreReturnCode: true })
    try {
      const data = JSON.parse(message.stdout.trim()) as Partial<MutexRecord>
      if (typeof data.app === 'string' && typeof data.holder === 'string' && typeof data.expiresAt === 'string' && typeof data.acquiredAt === 'string')
        return { app: data.app, holder: data.holder, acquiredAt: data.acquiredAt, expiresAt: data.expiresAt }
    } catch {
      // not a lock this toolkit wrote: treated as expired
    }
    return undefined
  }

  /** Pushes a new lock commit over `expected` ('' = the ref must not exist); returns its sha, or undefined when the swap failed. */
  private async push(git: LocalGit, env: Record<string, string>, record: MutexRecord, expected: string): Promise<string | undefined> {
    const tree = (await git.run(['hash-object', '-t', 'tree', '-w', '/dev/null'])).stdout.trim()
    const ident = { GIT_AUTHOR_NAME: 'dokku-stack', GIT_AUTHOR_EMAIL: 'dokku-stack@localhost', GIT_COMMITTER_NAME: 'dokku-stack', GIT_COMMITTER_EMAIL: 'dokku-stack@localhost' }
    const sha = (await git.run(['commit-tree', tree, '-m', JSON.stringify(record)], { env: ident })).stdout.trim()
    const result = await git.run(['push', '--porcelain', `--force-with-lease=${DEPLOY_MUTEX_REF}:${expected}`, dokkuRemoteUrl(this.credentials, this.app), `${sha}:${DEPLOY_MUTEX_REF}`], { env, ignoreReturnCode: true })
    return result.code === 0 ? sha : undefined
  }

  private async withRepo<T>(use: (git: LocalGit, env: Record<string, string>) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'dokku-stack-lock-'))
    try {
      const git = new LocalGit(dir)
      await git.run(['init', '--quiet', '--bare', dir])
      return await withDokkuGitSsh(this.credentials, (env) => use(git, env))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Deletes the app's lock ref if it still is the commit `sha` (compare-and-swap, so a lock another run
 * has taken since is left alone); returns whether it did. The app must exist: a push to a missing
 * app would create it.
 */
export async function releaseDeployMutex(credentials: PushCredentials, app: string, sha: string): Promise<boolean> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'dokku-stack-lock-'))
  try {
    const git = new LocalGit(dir)
    await git.run(['init', '--quiet', '--bare', dir])
    return await withDokkuGitSsh(credentials, async (env) => {
      const result = await git.run(['push', '--porcelain', `--force-with-lease=${DEPLOY_MUTEX_REF}:${sha}`, dokkuRemoteUrl(credentials, app), `:${DEPLOY_MUTEX_REF}`], { env, ignoreReturnCode: true })
      return result.code === 0
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
