import { describe, expect, it } from 'vitest'
import { applySteps, convergeMode, DriftError, printPlan } from '../../../src/core/converge/apply.js'
import { emptyPlan, PlanError, planErrorAsUserError, planOrExplain, secretTransition, type Plan, type Step } from '../../../src/core/converge/plan.js'
import { planJson, planTable, renderPlanLines, stepLine } from '../../../src/core/converge/render.js'
import { ConfigurationError } from '../../../src/core/errors.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { registerSecret } from '../../../src/core/secrets.js'

function step(resource: string, detail: string, extra: Partial<Step<string>> = {}): Step<string> {
  return { resource, current: '(absent)', wanted: 'present', action: 'create', reason: `${resource} does not exist yet`, detail, ...extra }
}

function planOf(...steps: Step<string>[]): Plan<Step<string>> {
  return { ...emptyPlan<Step<string>>(), steps }
}

describe('applySteps', () => {
  it('runs the steps in order and records each that changed the host', async () => {
    const ran: string[] = []
    const result = await applySteps([step('a', 'A'), step('b', 'B'), step('c', 'C')], async (s) => {
      ran.push(s.detail)
      return s.detail !== 'B'
    }, new RecordingLogger())
    expect(ran).toEqual(['A', 'B', 'C'])
    expect(result.done.map((s) => s.detail)).toEqual(['A', 'C'])
    expect(result.changed).toBe(true)
    expect(result.failure).toBeUndefined()
  })

  it('stops at the first failure, keeps what was done and says a next run finishes the job', async () => {
    const logger = new RecordingLogger()
    const ran: string[] = []
    const result = await applySteps([step('a', 'A'), step('b', 'B'), step('c', 'C')], async (s) => {
      ran.push(s.detail)
      if (s.detail === 'B') throw new Error('the host said no')
    }, logger)
    expect(ran).toEqual(['A', 'B'])
    expect(result.done.map((s) => s.detail)).toEqual(['A'])
    expect(result.failed?.detail).toBe('B')
    expect(result.failure?.message).toBe('the host said no')
    expect(logger.text()).toContain('Stopped at a failed step after 1 change(s); the next run observes what is there and finishes the job: the host said no')
  })

  it('a DriftError lists each differing step as the plan says it', () => {
    const drift = new DriftError([stepLine(step('app uro config URL', 'x', { current: 'a', wanted: 'b', action: 'set' }))])
    expect(drift.name).toBe('DriftError')
    expect(drift.message).toContain('differs from what was asked in 1 place(s); nothing was changed (check mode)')
    expect(drift.message).toContain('- app uro config URL: set (a → b)')
  })

  it('picks check over dry-run, and apply when neither is asked', () => {
    expect(convergeMode({ check: true, dryRun: true })).toBe('check')
    expect(convergeMode({ check: false, dryRun: true })).toBe('dry-run')
    expect(convergeMode({ check: false, dryRun: false })).toBe('apply')
  })
})

describe('rendering', () => {
  it('prints steps, notes and the unmanaged, and notices as warnings', async () => {
    const plan: Plan = {
      steps: [step('service uro-db', 'd', { wanted: 'postgres' })],
      notes: ['the app restarts once, at the end'],
      notices: ['the database is stopped'],
      unmanaged: [{ resource: 'service old-db', note: 'postgres service not in the stack file' }]
    }
    const logger = new RecordingLogger()
    await printPlan(plan, 'Plan', logger)
    expect(logger.lines).toEqual([
      'group: Plan',
      '1. service uro-db: create ((absent) → postgres): service uro-db does not exist yet',
      'note: the app restarts once, at the end',
      'not managed, left as it is: service old-db: postgres service not in the stack file',
      'warning: the database is stopped'
    ])
  })

  it('says a converged plan has nothing to do', () => {
    expect(renderPlanLines(emptyPlan())).toEqual(['Nothing to do: the host is already as asked.'])
  })

  it('tables resource | current | wanted | action, escaped', () => {
    const table = planTable(planOf(step('app <uro>', 'x')))
    expect(table[0]).toEqual(['resource', 'current', 'wanted', 'action'].map((data) => ({ data, header: true })))
    expect(table[1]).toEqual(['app &lt;uro&gt;', '(absent)', 'present', 'create'])
  })

  it('writes JSON without the detail, and redacts what slipped into a description', () => {
    const value = 'hunter2-very-secret'
    registerSecret(value)
    const json = planJson(planOf(step('app uro secret KEY', value, { ...secretTransition(undefined), action: 'set' }), step('x', 'y', { reason: `leaked ${value}` })))
    expect(json).not.toContain(value)
    const parsed = JSON.parse(json) as { steps: Record<string, string>[] }
    expect(parsed.steps[0]).toEqual({ resource: 'app uro secret KEY', current: '(absent)', wanted: '(secret, changed)', action: 'set', reason: 'app uro secret KEY does not exist yet' })
    expect(parsed.steps[1]?.reason).toBe('leaked ***')
    expect(Object.keys(parsed.steps[0] ?? {})).not.toContain('detail')
  })
})

describe('PlanError', () => {
  it('becomes a ConfigurationError naming the input that fixes it, or a plain Error', () => {
    const named = planErrorAsUserError(new PlanError('no email', 'letsencrypt-email'), { 'letsencrypt-email': 'domain' })
    expect(named).toBeInstanceOf(ConfigurationError)
    expect((named as ConfigurationError).input).toBe('domain')
    expect(planErrorAsUserError(new PlanError('no email', 'letsencrypt-email'), {})).not.toBeInstanceOf(ConfigurationError)
    const direct = planErrorAsUserError(new PlanError('bad alias', 'link-alias'))
    expect((direct as ConfigurationError).input).toBe('link-alias')
    expect(planErrorAsUserError(new PlanError('plugin disabled'))).not.toBeInstanceOf(ConfigurationError)
  })

  it('planOrExplain passes other errors through', () => {
    expect(() => planOrExplain(() => { throw new TypeError('bug') })).toThrow(TypeError)
    expect(planOrExplain(() => 3)).toBe(3)
  })
})
