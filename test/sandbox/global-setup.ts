// vitest globalSetup for the `integration` project: one sandbox host per vitest worker, shared by
// every test file that worker runs, started before the first file and stopped after the last (also
// when tests fail). A worker runs its files one after the other, so a file shares its host only with
// the files of the other workers, never with two at once.
// Tests get a handle with `sharedSandbox()`:
//
//   import { sharedSandbox } from '../sandbox/global-setup.ts'
//   const sandbox = sharedSandbox()
//   await sandbox.ssh('dokku', 'apps:list')
//
// The shared host is shared state: test files run in parallel, so each uses its own app,
// service and bucket names, and filters sandbox.s3.requests() by bucket.
import { inject } from 'vitest'
import type { TestProject } from 'vitest/node'
import { connectSandbox, startSandbox, type Sandbox, type SandboxInfo } from './harness/sandbox.ts'
import { TEST_WORKERS } from './workers.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxes: SandboxInfo[]
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now()
  const results = await Promise.allSettled(Array.from({ length: TEST_WORKERS }, () => startSandbox()))
  const sandboxes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const stopAll = async () => void (await Promise.all(sandboxes.map((sandbox) => sandbox.stop())))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await stopAll()
    throw failed.reason
  }
  if (process.env.SANDBOX_VERBOSE) {
    for (const sandbox of sandboxes) process.stderr.write(`sandbox host up in ${Math.round(performance.now() - started)} ms: ssh port ${sandbox.port}, ${sandbox.root}\n`)
  }
  project.provide('sandboxes', sandboxes.map((sandbox) => sandbox.info))
  return stopAll
}

let connected: Sandbox | undefined

/**
 * The run's shared sandbox, from inside a test file (vitest `inject`). Its stop() does nothing:
 * the globalSetup owns the processes. Throws when the globalSetup is not wired in.
 */
export function sharedSandbox(): Sandbox {
  if (connected) return connected
  const sandboxes = inject('sandboxes')
  if (!sandboxes || sandboxes.length === 0) throw new Error('no shared sandbox: test/sandbox/global-setup.ts is not the globalSetup of this vitest project')
  // VITEST_POOL_ID is this worker's number, 1 to maxWorkers.
  const info = sandboxes[(Number(process.env.VITEST_POOL_ID ?? '1') - 1) % sandboxes.length] as SandboxInfo
  connected = connectSandbox(info)
  return connected
}
