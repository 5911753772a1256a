import type { Readable, Writable } from 'node:stream'

/**
 * How the remote side turns our command string back into argv:
 * - `dokku-forced-command`: the `dokku` user's authorized_keys forced command (docs/dokku-contract.md#forced-command):
 *   the string is re-tokenised by `xargs -n 1` (or split on whitespace for `git*` commands);
 * - `root-shell`: a root login shell parses it with POSIX rules and we run `dokku …` (docs/dokku-contract.md#root-and-sudo);
 * - `sudo-shell`: any other user: a POSIX shell runs `sudo -n dokku …` (sudoers rule in docs/dokku-contract.md#root-and-sudo).
 */
export type RemoteShell = 'dokku-forced-command' | 'root-shell' | 'sudo-shell'

export interface ExecOptions {
  /**
   * Sent on the channel's stdin, then EOF. A stream is piped with backpressure (large data);
   * if it fails, EOF is not sent, the command is stopped and exec rejects with that error. If
   * the command ends (or exec fails) before the stream was read to its end, the stream is
   * destroyed, so whatever feeds it stops instead of waiting forever.
   * Without stdin the channel gets EOF at once, so nothing waits for input.
   */
  stdin?: Readable | Buffer | string
  /**
   * When given, stdout is piped here with backpressure instead of being collected (large data,
   * constant memory). It is ended once the command has exited; when exec fails (timeout,
   * connection lost) it is destroyed with the error instead, so truncated output never looks
   * complete.
   */
  stdout?: Writable
  /** Called with each stderr chunk as it arrives (progress, streaming build output). */
  onStderr?: (chunk: string) => void
  /** Called with each stdout chunk as it arrives when stdout is collected (not with `stdout`). */
  onStdout?: (chunk: string) => void
  /** Per-command time limit; the command is signalled, the channel closed and CommandTimeoutError thrown when exceeded. */
  timeoutMs?: number
}

export interface ExecResult {
  /** The exit status; null when the command was killed by a signal (see `signal`). */
  code: number | null
  /** The signal that ended the command (`SIGKILL`, …), else null. */
  signal: string | null
  /** Collected stdout (empty when `stdout` was a stream). */
  stdout: string
  /** Collected stderr (its last 4 MiB when there was more). */
  stderr: string
}

/**
 * Runs one already-quoted command string on the remote host. `exec` resolves with the exit
 * status whatever it is (callers decide what is a failure) and rejects only when the command
 * could not run to its end: SshConnectionError, CommandTimeoutError, or a failing stdin/stdout stream.
 */
export interface RemoteExecutor {
  readonly shell: RemoteShell
  /** Quotes argv for `shell` (quote.ts buildRemoteCommand; throws UnsendableArgumentError before sending) and runs it. */
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}
