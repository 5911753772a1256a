import { describe as group, expect, it } from 'vitest'
import { describeChange } from '../../../src/actions/dokku-deploy/summary.ts'
import type { DeployStep } from '../../../src/actions/dokku-deploy/plan.ts'

const sha = 'a'.repeat(40)
const previous = { kind: 'git' as const, sha: 'b'.repeat(40) }

group('what changed, in words', () => {
  it('says what each step does to the host, never its kind or the planner reason', () => {
    const steps: DeployStep[] = [
      { kind: 'create-app', reason: 'app uro does not exist yet' },
      { kind: 'set-deploy-branch', branch: 'main', reason: 'no deploy branch is set' },
      { kind: 'set-config', keys: ['URL', 'PHOENIX_KEY_BASE'], reason: 'these keys differ' },
      { kind: 'push', sha, branch: 'main', reason: 'nothing is deployed yet' },
      { kind: 'healthcheck', url: 'https://uro.example.com/health', expectedStatus: 200, reason: 'prove the deploy answers' }
    ]
    const lines = steps.map((step) => describeChange(step, { app: 'uro', previous: undefined }, 'done'))
    expect(lines).toEqual([
      'created the app uro',
      "set uro's deploy branch to main",
      'set URL, PHOENIX_KEY_BASE (values not shown)',
      "deployed commit aaaaaaaaaaaa, uro's first deploy",
      'checked that https://uro.example.com/health answers 200: it did'
    ])
    for (const line of lines) expect(line).not.toMatch(/^(create-app|push|set-config|healthcheck):|nothing is deployed yet/)
  })

  it('says a dry run plan as "would …", naming what it replaces', () => {
    expect(describeChange({ kind: 'push', sha, branch: 'main', reason: 'x' }, { app: 'uro', previous }, 'would')).toBe('would deploy commit aaaaaaaaaaaa, replacing commit bbbbbbbbbbbb')
    expect(describeChange({ kind: 'restart', reason: 'x' }, { app: 'uro', previous }, 'would')).toBe('would restart uro to apply the new config')
    expect(describeChange({ kind: 'destroy-review-app', reason: 'x' }, { app: 'uro-pr-5', previous }, 'done')).toBe('destroyed the review app uro-pr-5')
  })
})
