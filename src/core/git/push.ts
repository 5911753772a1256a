import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { posixQuote } from '../ssh/quote.js'
import type { LocalGit } from './local-git.js'

export interface PushCredentials {
  host: string
  port: number
  user: string
  privateKey: string
  passphrase: string | undefined
  /** The host key our own SSH connection verified against the pin: `<type> <base64>`. */
  verifiedHostKey: string
}

export interface PushRequest {
  app: string
  sha: string
  branch: string
  force: boolean
  onRemoteLine?: (line: string) => void
}

export type PushOutcome =
  | 'deployed'
  /** Exit 0 without Dokku's deploy marker: only apps:report can tell what happened. */
  | 'pushed'
  | 'up-to-date'
  | 'not-deploy-branch'
  | 'locked'
  | 'shallow-refused'
  | 'build-failed'
  | 'rejected'
  | 'failed'

export interface PushResult {
  outcome: PushOutcome
  exitCode: number
  /** Every stderr line git printed, `remote:` lines included, in order. */
  lines: string[]
}

export function dokkuRemoteUrl(credentials: Pick<PushCredentials, 'host' | 'port' | 'user'>, app: string): string {
  const host = credentials.host.includes(':') && !credentials.host.startsWith('[') ? `[${credentials.host}]` : credentials.host
  return `ssh://${credentials.user}@${host}:${credentials.port}/${app}`
}

/**
 * Runs `use` with the environment git needs to reach the Dokku host over the system's OpenSSH,
 * trusting only the host key our SSH connection already verified and offering only this action's
 * key: no ssh-agent, no ~/.ssh/config, no StrictHostKeyChecking=no. The key lives in a 0700 temp
 * directory that is removed in `finally`; a passphrase reaches ssh through SSH_ASKPASS from the
 * environment.
 */
export async function withDokkuGitSsh<T>(credentials: PushCredentials, use: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'dokku-stack-push-'))
  try {
    await chmod(dir, 0o700)
    const keyPath = join(dir, 'key')
    const knownHostsPath = join(dir, 'known_hosts')
    await writeFile(keyPath, credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`, { mode: 0o600 })
    const hostPattern = credentials.port === 22 ? credentials.host : `[${credentials.host}]:${credentials.port}`
    await writeFile(knownHostsPath, `${hostPattern} ${credentials.verifiedHostKey}\n`, { mode: 0o600 })

    const env: Record<string, string> = {}
    const sshOptions = [
      '-F /dev/null',
      `-i ${posixQuote(keyPath)}`,
      '-o IdentitiesOnly=yes',
      '-o IdentityAgent=none',
      `-o UserKnownHostsFile=${posixQuote(knownHostsPath)}`,
      '-o GlobalKnownHostsFile=/dev/null',
      '-o StrictHostKeyChecking=yes',
      '-o PreferredAuthentications=publickey',
      '-o ConnectTimeout=20',
      '-o ServerAliveInterval=15',
      '-o ServerAliveCountMax=4'
    ]
    if (credentials.passphrase !== undefined) {
      const askpass = join(dir, 'askpass')
      await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$DOKKU_STACK_KEY_PASSPHRASE"\n', { mode: 0o700 })
      Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DOKKU_STACK_KEY_PASSPHRASE: credentials.passphrase, DISPLAY: 'none' })
      sshOptions.push('-o BatchMode=no', '-o NumberOfPasswordPrompts=1')
    } else {
      sshOptions.push('-o BatchMode=yes')
    }
    env.GIT_SSH_COMMAND = `ssh ${sshOptions.join(' ')}`
    env.GIT_SSH_VARIANT = 'ssh'
    return await use(env)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Pushes a commit to the app's deploy branch (see `withDokkuGitSsh` for how the host is reached). */
export async function pushToDokku(git: LocalGit, credentials: PushCredentials, request: PushRequest): Promise<PushResult> {
  return withDokkuGitSsh(credentials, async (env) => {
    const lines: string[] = []
    const args = ['push', ...(request.force ? ['--force'] : []), dokkuRemoteUrl(credentials, request.app), `${request.sha}:refs/heads/${request.branch}`]
    const result = await git.run(args, {
      env,
      ignoreReturnCode: true,
      onStderrLine: (line) => {
        lines.push(line)
        request.onRemoteLine?.(line)
      }
    })
    return { outcome: interpretPush(result.code, lines), exitCode: result.code, lines }
  })
}

/**
 * What a push meant, from git's exit code and the remote's lines (docs/dokku-contract.md#git-push, #deploy-lock, #deploy-output).
 * Exit 0 is not success on its own: a push to a branch that is not the deploy branch exits 0
 * and deploys nothing (dokku/github-action#49); callers still confirm with apps:report.
 */
export function interpretPush(exitCode: number, lines: readonly string[]): PushOutcome {
  const text = lines.join('\n')
  if (/currently has a deploy lock in place/.test(text)) return 'locked'
  if (/shallow update not allowed/.test(text)) return 'shallow-refused'
  if (exitCode === 0) {
    if (/deploy did not complete, you must push to/.test(text)) return 'not-deploy-branch'
    if (/^Everything up-to-date$/m.test(text)) return 'up-to-date'
    return /=====> Application deployed:/.test(text) ? 'deployed' : 'pushed'
  }
  if (/pre-receive hook declined/.test(text)) return 'build-failed'
  if (/\[rejected\]|non-fast-forward|fetch first/.test(text)) return 'rejected'
  return 'failed'
}
