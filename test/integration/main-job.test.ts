import { expect, it } from 'vitest'
import { sharedSandbox } from '../sandbox/global-setup.ts'
import { runMainJob, stackFacts } from '../sandbox/main-job.ts'

it('runs the root action on the repository stack file against the sandbox, converges, and prints no secret', async () => {
  const sandbox = sharedSandbox()
  const printed: string[] = []
  const result = await runMainJob(sandbox, (line) => printed.push(line))
  expect(result.ok, printed.join('\n')).toBe(true)
  const [first, second] = result.runs
  const stack = (run: typeof first) => run?.records.find((r) => r.id === 'stack')
  expect(stack(first)?.outputs).toMatchObject({ changed: 'true' })
  expect(stack(second)?.outputs).toMatchObject({ changed: 'false' })
  expect(JSON.parse(stack(second)?.outputs.plan ?? '{}').steps).toEqual([])
  expect(stack(first)?.summary).toMatch(/resource\s*\|?\s*current\s*\|?\s*wanted\s*\|?\s*action/)
  // Nothing the workflow was given or the host generated reaches the printed log.
  const text = printed.join('\n')
  const services = Object.entries(stackFacts().services).filter(([, engine]) => engine === 'postgres' || engine === 'redis')
  const generated = await Promise.all(
    services.map(async ([name, engine]) => decodeURIComponent(new URL(engine === 'postgres' ? await sandbox.realPostgresUrl(name) : await sandbox.realRedisUrl(name)).password))
  )
  for (const secret of [...Object.values(result.secrets), ...Object.values(result.secrets).flatMap((s) => s.split('\n')).filter((l) => l.length > 20), ...generated])
    expect(text).not.toContain(secret)
  expect(text).toContain('Nothing to do: the host is already as asked.')
}, 600_000)
