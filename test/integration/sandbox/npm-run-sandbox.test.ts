// `npm run sandbox | jq` works: through npm itself, stdout carries the JSON line and nothing
// else (npm's "> dokku-stack@… sandbox" banner would come first; .npmrc silences it), and Ctrl-C
// (SIGINT to the whole process group, as a terminal sends it) stops the sandbox.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../sandbox/harness/sandbox.ts'

const FIRST_LINE_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 60_000

describe('npm run sandbox', () => {
  it('prints only the JSON line on stdout, and stops on Ctrl-C', async () => {
    const child = spawn('npm', ['run', 'sandbox', '--', '--plugins', ''], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const group = child.pid as number
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-group, signal)
      } catch {
        // the group has ended
      }
    }
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)))
    try {
      const deadline = Date.now() + FIRST_LINE_TIMEOUT_MS
      while (!stdout.includes('\n') && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
      expect(stdout, stderr).toContain('\n')
      // What `jq` needs: stdout, from its first byte, is JSON.
      const printed = JSON.parse(stdout) as { host?: string; port?: number; root?: string }
      expect(printed).toMatchObject({ host: '127.0.0.1', user: 'dokku' })
      expect(stderr).toContain('Ctrl-C stops every process')

      signalGroup('SIGINT')
      const ended = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), STOP_TIMEOUT_MS))])
      // npm ends itself by the signal, as after Ctrl-C in a terminal; the script stopped cleanly first.
      expect(ended, stderr).not.toBe('still running')
      expect(stderr).toContain('stopped; files removed.')
      // still the one line: nothing was added on the way out
      expect(stdout.split('\n')).toEqual([expect.stringMatching(/^\{.*\}$/), ''])
      expect(existsSync(String(printed.root))).toBe(false)
    } finally {
      if (child.exitCode === null) {
        signalGroup('SIGINT')
        setTimeout(() => signalGroup('SIGKILL'), 20_000).unref()
      }
    }
  }, FIRST_LINE_TIMEOUT_MS + STOP_TIMEOUT_MS + 10_000)
})
