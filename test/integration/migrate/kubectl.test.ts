// Kubectl's abort signal: migrate starts the cluster's reads before the SSH connection, and a run
// that fails before it waits for them must stop them rather than leave an inventory of a large tree
// running (and the action's process alive) for minutes. A real process stands in for kubectl.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { withKubeconfig } from '../../../src/core/k8s/kubectl.ts'
import type { Logger } from '../../../src/core/log.ts'
import { waitFor } from '../../support/wait.ts'

const dir = mkdtempSync(join(tmpdir(), 'kubectl-abort-'))
const pidFile = join(dir, 'pid')
const kubectl = join(dir, 'kubectl')
// Records its pid, then runs far longer than any test: only a kill ends it early.
writeFileSync(kubectl, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 })
const quiet: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, group: (_title, fn) => fn() }

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('kubectl reads with an abort signal', () => {
  it('an aborted read stops the kubectl process and rejects', async () => {
    await withKubeconfig('apiVersion: v1\nkind: Config\n', { binary: kubectl, namespace: 'default', logger: quiet }, async (client) => {
      const reading = new AbortController()
      const read = client.execOk({ pod: 'uro-0' }, ['sh', '-c', 'find / -type f'], { signal: reading.signal })
      read.catch(() => undefined)
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', { what: 'the kubectl stand-in to start', timeoutMs: 30_000 })
      const pid = Number(readFileSync(pidFile, 'utf8').trim())
      expect(alive(pid)).toBe(true)
      reading.abort()
      await expect(read).rejects.toThrow(/abort/i)
      expect(alive(pid)).toBe(false)
    })
  }, 60_000)

  it('a signal aborted before the read starts runs nothing', async () => {
    rmSync(pidFile, { force: true })
    await withKubeconfig('apiVersion: v1\nkind: Config\n', { binary: kubectl, namespace: 'default', logger: quiet }, async (client) => {
      await expect(client.secretData('uro-prod', { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i)
    })
    expect(existsSync(pidFile)).toBe(false)
  }, 60_000)
})
