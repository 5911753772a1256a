import { describe, expect, it } from 'vitest'
import { actionsLogger, RecordingLogger } from '../../src/core/log.ts'
import { captureStdoutAsync } from '../support/inputs.ts'

const stdoutOf = captureStdoutAsync

const count = (text: string, command: string) => text.split('\n').filter((line) => line.startsWith(command)).length

describe('groups never nest (GitHub does not nest ::group::)', () => {
  it('opens one group for the outermost call and prints inner titles as lines inside it', async () => {
    const out = await stdoutOf(() =>
      actionsLogger.group('Rolling back uro', async () => {
        actionsLogger.info('restoring config')
        await actionsLogger.group('Checking https://uro.example.com/health', async () => actionsLogger.info('attempt 1: 200'))
        actionsLogger.info('rolled back')
      })
    )
    expect(out.split('\n').filter((l) => l !== '')).toEqual([
      '::group::Rolling back uro',
      'restoring config',
      '── Checking https://uro.example.com/health',
      'attempt 1: 200',
      'rolled back',
      '::endgroup::'
    ])
  })

  it('keeps groups run side by side from overlapping, and opens a new one once the first has closed', async () => {
    const out = await stdoutOf(async () => {
      await Promise.all([actionsLogger.group('one', () => new Promise((r) => setTimeout(r, 20))), actionsLogger.group('two', async () => actionsLogger.info('in two'))])
      await actionsLogger.group('three', async () => actionsLogger.info('in three'))
    })
    expect(count(out, '::group::')).toBe(2)
    expect(count(out, '::endgroup::')).toBe(2)
    expect(out).toContain('── two')
    expect(out).toContain('::group::three')
  })

  it('closes its group when the function throws, so the next group opens', async () => {
    const out = await stdoutOf(async () => {
      await expect(actionsLogger.group('failing', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
      await actionsLogger.group('after', async () => undefined)
    })
    expect(count(out, '::group::')).toBe(2)
  })

  it('records the same shape in tests', async () => {
    const logger = new RecordingLogger()
    await logger.group('outer', async () => logger.group('inner', async () => logger.info('x')))
    expect(logger.lines).toEqual(['group: outer', '── inner', 'x'])
  })
})
