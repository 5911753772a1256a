// Soak (issue 17): alternating deploy / backup / verify cycles against the sandbox host, then nothing
// leaked: no process left below this one, no more file descriptors than after the first cycle, no
// temporary file in the actions' temp directory (RUNNER_TEMP, set to one of this test's own), and no
// deploy lock (neither the mutex ref nor Dokku's lock file). SOAK_CYCLES cycles: 6 by default and in
// `npm run reliability -- --bounded`, 200 in the full `npm run reliability`.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithReport, type RunReport } from '../../../src/actions/backup-run/main.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { ageKeys, createBucket, dokku, psql, reader, sandbox, stepInputs, unique, type AgeKeys } from '../backup-run/helpers.ts'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { captureStdoutAsync } from '../../support/inputs.js'
import { countLeakables, descendants, type LeakCounts } from '../../support/leaks.js'
import { recordReliability } from '../../support/reliability.js'
import { deployedNow, deployLockRef, startDeploy } from '../../support/sandbox-deploys.js'
import { waitFor } from '../../support/wait.js'

const CYCLES = Math.max(1, Number(process.env.SOAK_CYCLES ?? '6') || 6)
const app = 'rl-soak'
const bucket = unique('rl-soak')
const service = unique('rlsoak').replace(/-/g, '_')
let keys: AgeKeys
let checkout: TestRepo
let runnerTemp: string
const savedRunnerTemp = process.env.RUNNER_TEMP

beforeAll(async () => {
  runnerTemp = await mkdtemp(join(tmpdir(), 'soak-runner-temp-'))
  process.env.RUNNER_TEMP = runnerTemp
  keys = await ageKeys()
  await createBucket(bucket)
  checkout = await makeTestRepo()
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  await psql(await sandbox().realPostgresUrl(service), 'create table visits (id serial primary key, at timestamptz default now());')
})
afterAll(async () => {
  if (savedRunnerTemp === undefined) delete process.env.RUNNER_TEMP
  else process.env.RUNNER_TEMP = savedRunnerTemp
  await rm(runnerTemp, { recursive: true, force: true })
  await checkout?.cleanup()
})

async function backupRun(extra: Record<string, string>): Promise<RunReport> {
  let report!: RunReport
  await captureStdoutAsync(async () => {
    report = await runWithReport(reader(stepInputs(bucket, keys, { sources: `postgres:${service}`, ...extra })), new RecordingLogger())
  })
  return report
}

/** One cycle: deploy a new commit, add rows and back the database up, verify that backup. Returns what failed. */
async function cycle(n: number): Promise<string[]> {
  const failed: string[] = []
  const sha = await checkout.commit({ 'index.txt': `cycle ${n}` }, `cycle ${n}`)
  const deployed = await startDeploy(sandbox(), app, sha, checkout.dir).result.catch((error: unknown) => ({ failure: error as Error }))
  if (deployed.failure) failed.push(`deploy: ${deployed.failure.message}`)
  else if ((await deployedNow(sandbox(), app)) !== sha) failed.push(`deploy: the app does not answer with ${sha}`)
  await psql(await sandbox().realPostgresUrl(service), `insert into visits default values;`)
  const backup = await backupRun({ mode: 'backup' }).catch((error: unknown) => error as Error)
  const id = backup instanceof Error ? undefined : backup.results[0]?.id
  if (!id) failed.push(`backup: ${backup instanceof Error ? backup.message : 'no id'}`)
  else {
    const verify = await backupRun({ mode: 'verify', backup: id, 'age-identity': keys.identity }).catch((error: unknown) => error as Error)
    if (verify instanceof Error || verify.results[0]?.outcome !== 'verified') failed.push(`verify: ${verify instanceof Error ? verify.message : verify.results[0]?.detail}`)
  }
  return failed.map((f) => `cycle ${n}: ${f}`)
}

describe(`soak: ${CYCLES} deploy / backup / verify cycles`, () => {
  it('every cycle succeeds, and afterwards no process, file descriptor, temporary file or lock is left', async () => {
    // The first cycle creates the app, warms every module and pool: the baseline is taken after it.
    const warmUp = await cycle(0)
    expect(warmUp).toEqual([])
    const baseline = await countLeakables()
    const failures: string[] = []
    let held = 0
    for (let n = 1; n <= CYCLES; n++) {
      const failed = await cycle(n)
      if (failed.length === 0) held++
      failures.push(...failed)
    }
    // Sockets and exited children are reaped asynchronously: wait (bounded) for the counts to settle.
    let after: LeakCounts = await countLeakables()
    await waitFor(
      async () => {
        after = await countLeakables()
        return after.processes <= baseline.processes && after.fds <= baseline.fds
      },
      { what: 'processes and file descriptors back to their baseline', timeoutMs: 60_000 }
    ).catch(() => undefined)
    const tempLeft = await readdir(runnerTemp)
    const lockRef = await deployLockRef(sandbox(), app)
    const dokkuLocked = (await dokku(`apps:locked ${app}`)).code === 0
    const leaks = {
      'processes left': Math.max(0, after.processes - baseline.processes),
      'file descriptors left': Math.max(0, after.fds - baseline.fds),
      'temporary files left': tempLeft.length,
      'locks left': (lockRef === '' ? 0 : 1) + (dokkuLocked ? 1 : 0)
    }
    recordReliability('soak', `${CYCLES} deploy / backup / verify cycles`, { tried: CYCLES, held, details: { 'failed steps': failures.length } })
    recordReliability('soak-leaks', `after ${CYCLES} cycles: processes, file descriptors, temporary files, locks`, {
      tried: 4,
      held: Object.values(leaks).filter((n) => n === 0).length,
      details: { ...leaks, 'fds before': baseline.fds, 'fds after': after.fds }
    })

    expect(failures).toEqual([])
    expect(leaks, `processes below this one: ${JSON.stringify(await descendants(process.pid))}; temp: ${tempLeft.join(', ')}`).toEqual({
      'processes left': 0,
      'file descriptors left': 0,
      'temporary files left': 0,
      'locks left': 0
    })
  }, 300_000 + CYCLES * 180_000)
})
