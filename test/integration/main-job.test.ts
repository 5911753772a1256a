import { expect, it } from 'vitest'
import { sharedSandbox } from '../sandbox/global-setup.ts'
import { runMainJob } from '../sandbox/main-job.ts'

it('runs the example deploy workflow against the sandbox, converges, and prints no secret', async () => {
  const sandbox = sharedSandbox()
  const printed: string[] = []
  const result = await runMainJob(sandbox, (line) => printed.push(line))
  expect(result.ok, printed.join('\n')).toBe(true)
  const [first, second] = result.runs
  const outputs = (run: typeof first, name: string) => run?.records.find((r) => r.name === name || r.id === name)?.outputs
  expect(outputs(first, 'deploy')).toMatchObject({ changed: 'true' })
  expect(outputs(first, 'Database')).toMatchObject({ service: 'uro-db', changed: 'true' })
  for (const name of ['Database', 'Redis', 'deploy']) expect(outputs(second, name), name).toMatchObject({ changed: 'false' })
  // Nothing the workflow was given or the host generated reaches the printed log.
  const text = printed.join('\n')
  const generated = [await sandbox.realPostgresUrl('uro-db'), await sandbox.realRedisUrl('uro-redis')].map((url) => decodeURIComponent(new URL(url).password))
  for (const secret of [...Object.values(result.secrets), ...Object.values(result.secrets).flatMap((s) => s.split('\n')).filter((l) => l.length > 20), ...generated])
    expect(text).not.toContain(secret)
  expect(text).toContain('uro: nothing to do; the host already runs commit')
}, 240_000)
