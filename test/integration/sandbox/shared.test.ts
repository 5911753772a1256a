// The integration project's shared sandbox host (test/sandbox/global-setup.ts as globalSetup):
// one host for every test file, reached through vitest's provide/inject.
import { existsSync } from 'node:fs'
import { expect, it } from 'vitest'
import { sharedSandbox } from '../../sandbox/global-setup.ts'

it('reaches the shared sandbox host started by the globalSetup', async () => {
  const sandbox = sharedSandbox()
  expect(sharedSandbox()).toBe(sandbox)
  expect(existsSync(sandbox.root)).toBe(true)
  expect(sandbox.info.ownerPid).not.toBe(process.pid)
  const result = await sandbox.ssh('dokku', 'version')
  expect(result).toMatchObject({ code: 0, stdout: `dokku version ${sandbox.dokkuVersion}\n` })
  await sandbox.stop() // does nothing: the globalSetup owns the host
  expect(existsSync(sandbox.root)).toBe(true)
})
