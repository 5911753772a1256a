// backup-run's planner: one step per source from what was observed; a source that is not there is
// a planned failure (in the plan, so a dry run names it), never a step that touches it.
import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { readBackupInputs } from '../../../src/actions/backup-run/inputs.ts'
import { planBackupRun, sourcesToObserve, type SourceState } from '../../../src/actions/backup-run/plan.ts'
import { clearSecretsForTest } from '../../../src/core/secrets.ts'
import { captureStdout, inputsFrom } from '../../support/inputs.ts'
import { testKeyInputs } from '../../support/keys.ts'

const AGE_KEY = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
const RECIPIENT = (/^# public key: (age1\S+)$/m.exec(AGE_KEY) as RegExpExecArray)[1] as string
const IDENTITY = AGE_KEY.split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-')) as string

const base: Record<string, string> = {
  host: 'dokku.example.com',
  'ssh-private-key': testKeyInputs()['ssh-private-key'] as string,
  'ssh-host-key': testKeyInputs()['ssh-host-key'] as string,
  's3-bucket': 'backups',
  's3-access-key-id': 'AKIAEXAMPLE',
  's3-secret-access-key': 'very-secret-key-value',
  'age-recipients': RECIPIENT
}

function config(values: Record<string, string>) {
  let read: ReturnType<typeof readBackupInputs> | undefined
  captureStdout(() => {
    read = readBackupInputs(inputsFrom({ ...base, ...values }))
  })
  return read as ReturnType<typeof readBackupInputs>
}

const present = (what: string): SourceState => ({ present: true, what })
const absent = (why: string): SourceState => ({ present: false, why })

afterEach(() => clearSecretsForTest())

describe('planBackupRun', () => {
  it('plans one back-up step per source, in the order named, and a planned failure for one that is missing', () => {
    const c = config({ sources: 'postgres:db\nredis:cache\nconfig:uro' })
    expect(sourcesToObserve(c).map((s) => `${s.kind}:${s.name}`)).toEqual(['postgres:db', 'redis:cache', 'config:uro'])
    const plan = planBackupRun(c, new Map([['postgres:db', present('postgres service')], ['redis:cache', absent('redis service cache does not exist on the host')], ['config:uro', present('app')]]))
    expect(plan.steps.map((s) => [s.resource, s.current, s.action])).toEqual([
      ['postgres:db', 'postgres service', 'back up'],
      ['redis:cache', '(absent)', 'cannot back up'],
      ['config:uro', 'app', 'back up']
    ])
    expect(plan.steps.map((s) => s.detail.failure)).toEqual([undefined, 'redis service cache does not exist on the host', undefined])
    expect(plan.steps[0]?.wanted).toBe('backed up to s3://backups/dokku-stack/postgres/db/')
  })

  it('plans a cockroach source as a failure that says what to do instead, without looking at the host for it', () => {
    const c = config({ sources: 'cockroach:crdb' })
    expect(sourcesToObserve(c)).toEqual([])
    const [step] = planBackupRun(c, new Map()).steps
    expect(step?.action).toBe('cannot back up')
    expect(step?.detail.failure).toMatch(/cockroach:crdb is not backed up.*postgres:<service>/s)
  })

  it('creates a missing database target to restore into, and refuses a missing app', () => {
    const into = config({ mode: 'restore', sources: 'postgres:db', target: 'postgres:db-restored', 'age-identity': IDENTITY })
    expect(sourcesToObserve(into)).toEqual([{ kind: 'postgres', name: 'db-restored' }])
    const [create] = planBackupRun(into, new Map([['postgres:db-restored', absent('postgres service db-restored does not exist')]])).steps
    expect(create).toMatchObject({ resource: 'postgres:db-restored', current: '(absent)', action: 'create and restore', detail: { failure: undefined } })

    const app = config({ mode: 'restore', sources: 'config:uro', target: 'config:uro-copy', 'age-identity': IDENTITY })
    const [refused] = planBackupRun(app, new Map([['config:uro-copy', absent('App uro-copy does not exist; create it (dokku-deploy) before restoring its config.')]])).steps
    expect(refused?.action).toBe('cannot restore')
    expect(refused?.detail.failure).toMatch(/App uro-copy does not exist/)
  })

  it('plans verify, drill and prune over the destination only; list plans nothing', () => {
    const verify = config({ mode: 'verify', sources: 'postgres:db' })
    expect(sourcesToObserve(verify)).toEqual([])
    expect(planBackupRun(verify, new Map()).steps.map((s) => [s.resource, s.action])).toEqual([['postgres:db', 'verify']])
    const drill = config({ mode: 'verify', drill: 'true', 'age-identity': IDENTITY })
    expect(planBackupRun(drill, new Map()).steps.map((s) => [s.resource, s.action])).toEqual([['every source under s3://backups/dokku-stack/', 'drill']])
    const prune = config({ mode: 'prune', 'keep-daily': '7', 'keep-weekly': '4' })
    expect(planBackupRun(prune, new Map()).steps[0]?.wanted).toBe('kept by keep-daily 7, keep-weekly 4')
    expect(planBackupRun(config({ mode: 'list' }), new Map()).steps).toEqual([])
  })

  it('says in a dry run that nothing is written', () => {
    expect(planBackupRun(config({ sources: 'postgres:db', 'dry-run': 'true' }), new Map([['postgres:db', present('postgres service')]])).notes).toEqual(['dry-run: nothing is written, restored or deleted'])
  })
})
