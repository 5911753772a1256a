// vitest globalSetup for the `integration` project: one sandbox host shared by every test file
// of the run, started before the first file and stopped after the last (also when tests fail).
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

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: SandboxInfo
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now()
  const sandbox = await startSandbox()
  if (process.env.SANDBOX_VERBOSE) {
    process.stderr.write(`sandbox host up in ${Math.round(performance.now() - started)} ms: ssh port ${sandbox.port}, ${sandbox.root}\n`)
  }
  project.provide('sandbox', sandbox.info)
  return async () => {
    await sandbox.stop()
  }
}

let connected: Sandbox | undefined

/**
 * The run's shared sandbox, from inside a test file (vitest `inject`). Its stop() does nothing:
 * the globalSetup owns the processes. Throws when the globalSetup is not wired in.
 */
export function sharedSandbox(): Sandbox {
  if (connected) return connected
  const info = inject('sandbox')
  if (!info) throw new Error('no shared sandbox: test/sandbox/global-setup.ts is not the globalSetup of this vitest project')
  connected = connectSandbox(info)
  return connected
}
