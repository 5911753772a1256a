// A RemoteExecutor that notes every argv the client hands to the transport, then sends it through
// the real one: the "intended" side of the hostile-argv test. An argv the quoting refuses
// (UnsendableArgumentError) is noted apart, since it never leaves the runner.
import { buildRemoteCommand } from '../../src/core/ssh/quote.js'
import type { ExecOptions, ExecResult, RemoteExecutor } from '../../src/core/ssh/types.js'

export class RecordingExecutor implements RemoteExecutor {
  readonly sent: string[][] = []
  readonly refused: string[][] = []
  /** Raw command strings run with exec(): none are expected from the client. */
  readonly raw: string[] = []
  private readonly inner: RemoteExecutor

  constructor(inner: RemoteExecutor) {
    this.inner = inner
  }

  get shell(): RemoteExecutor['shell'] {
    return this.inner.shell
  }

  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    try {
      buildRemoteCommand(this.inner.shell, argv)
    } catch (error) {
      this.refused.push([...argv])
      return Promise.reject(error)
    }
    this.sent.push([...argv])
    return this.inner.run(argv, options)
  }

  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.raw.push(command)
    return this.inner.exec(command, options)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
