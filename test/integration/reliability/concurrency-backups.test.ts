// Backups beside other work (issue 17, "Concurrency and load"), against the sandbox's real
// PostgreSQL, real SSH and real S3 server:
// - two backups of the same source at once, started in the same millisecond (a fixed clock: the
//   case where their ids, hence their keys, would be the same): both complete with valid manifests,
//   both verify, and retention keeps both;
// - a deploy of the app that uses the database, in flight during the whole backup (its build held
//   until the backup is done): both succeed, and the backup restores to the rows the database had.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithReport, type RunReport } from '../../../src/actions/backup-run/main.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { ageKeys, createBucket, dokku, psql, reader, sandbox, stepInputs, unique, type AgeKeys } from '../backup-run/helpers.ts'
import { makeTestRepo, type TestRepo } from '../../support/git-repo.js'
import { captureStdoutAsync } from '../../support/inputs.js'
import { recordReliability } from '../../support/reliability.js'
import { appBuildRunning, buildGate, deployedNow, deployLockRef, startDeploy } from '../../support/sandbox-deploys.js'
import { waitFor } from '../../support/wait.js'

let keys: AgeKeys
const bucket = unique('rl-concurrent')
const service = unique('rlcc').replace(/-/g, '_')
const source = `postgres:${service}`
const ROWS = 2000
const repos: TestRepo[] = []

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  await psql(await sandbox().realPostgresUrl(service), `create table items (id serial primary key, name text); insert into items (name) select 'item ' || g from generate_series(1, ${ROWS}) g;`)
})
afterAll(async () => {
  await Promise.all(repos.map((r) => r.cleanup()))
})

/** backup-run with these inputs; the readers' ::add-mask:: lines stay out of the test's output. */
async function backupRun(extra: Record<string, string>, options: { now?: () => Date } = {}): Promise<RunReport> {
  let report!: RunReport
  await captureStdoutAsync(async () => {
    report = await runWithReport(reader(stepInputs(bucket, keys, { sources: source, ...extra })), new RecordingLogger(), options)
  })
  return report
}

async function completeBackups(): Promise<string[]> {
  const list = await backupRun({ mode: 'list' })
  return list.results.filter((r) => r.outcome === 'complete').map((r) => r.id as string)
}

describe('backups beside other work', () => {
  it('two backups of one source started in the same millisecond both complete, both verify, and retention keeps both', async () => {
    const before = await completeBackups()
    const sameMoment = new Date()
    const runs = await Promise.allSettled([backupRun({ mode: 'backup' }, { now: () => sameMoment }), backupRun({ mode: 'backup' }, { now: () => sameMoment })])
    const ids = runs.map((r) => (r.status === 'fulfilled' ? r.value.results[0]?.id : undefined))
    const complete = (await completeBackups()).filter((id) => !before.includes(id))
    const verified: string[] = []
    for (const id of complete) {
      const report = await backupRun({ mode: 'verify', backup: id, 'age-identity': keys.identity })
      if (report.results[0]?.outcome === 'verified') verified.push(id)
    }
    const pruned = await backupRun({ mode: 'prune', 'keep-last': '2' })
    const kept = pruned.results.filter((r) => r.outcome === 'kept').map((r) => r.id)
    const held = runs.filter((r) => r.status === 'fulfilled').length === 2 && new Set(ids).size === 2 ? verified.filter((id) => kept.includes(id)).length : 0
    recordReliability('concurrency', 'two backups of one source in the same millisecond: both complete, verify and are kept', { tried: 2, held })

    expect(runs.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok'])
    expect(new Set(ids).size).toBe(2)
    expect([...complete].sort()).toEqual([...(ids as string[])].sort())
    expect(verified.sort()).toEqual([...complete].sort())
    expect(kept.sort()).toEqual([...complete].sort())
    expect(pruned.results.filter((r) => r.outcome === 'pruned')).toEqual([])
  }, 300_000)

  it('a deploy of the app during a backup of its database: both succeed, and the backup restores to the rows the database had', async () => {
    const app = 'rl-deploy-during-backup'
    const checkout = await makeTestRepo()
    repos.push(checkout)
    const first = await checkout.commit({ 'index.txt': 'first' })
    expect((await startDeploy(sandbox(), app, first, checkout.dir).result).failure).toBeUndefined()
    expect((await dokku(`postgres:link ${service} ${app}`)).code).toBe(0)

    const gate = buildGate(sandbox(), app)
    const second = await checkout.commit({ ...gate.files, 'index.txt': 'second' })
    const deploying = startDeploy(sandbox(), app, second, checkout.dir)
    let backup: RunReport | Error
    try {
      await waitFor(() => appBuildRunning(sandbox(), app), { what: `the build of ${app} to run` })
      backup = await backupRun({ mode: 'backup' }).catch((error: unknown) => error as Error)
    } finally {
      await gate.open()
    }
    const deployed = await deploying.result
    const id = backup instanceof Error ? undefined : backup.results[0]?.id
    const drill = id ? await backupRun({ mode: 'verify', drill: 'true', backup: id, 'age-identity': keys.identity }).catch((error: unknown) => error as Error) : undefined
    const drilled = drill !== undefined && !(drill instanceof Error) && drill.results[0]?.outcome === 'drilled'
    recordReliability('concurrency', 'a deploy during a backup of its database: both succeed, the backup restores', {
      tried: 2,
      held: (deployed.failure === undefined ? 1 : 0) + (drilled ? 1 : 0)
    })

    expect(backup instanceof Error ? backup.message : backup.results[0]?.outcome).toBe('backed up')
    expect(backup instanceof Error ? '' : backup.results[0]?.detail).toContain(`1 tables, ${ROWS} rows`)
    expect(deployed.failure).toBeUndefined()
    expect(await deployedNow(sandbox(), app)).toBe(second)
    expect(await deployLockRef(sandbox(), app)).toBe('')
    // The drill restores into a scratch service and compares its row counts with the manifest's.
    expect(drill instanceof Error ? drill.message : drill?.results[0]).toMatchObject({ outcome: 'drilled', detail: expect.stringMatching(/row counts match the backup/) })
  }, 300_000)
})
