// What Dokku's ENV file keeps of a config value, per the godotenv version the host's Dokku is
// built with (issue 13 M2): v1.2.0 up to Dokku 0.37.7 (0.37.5 in the sandbox), v1.5.1 from 0.37.8.
import { describe, expect, it } from 'vitest'
import { DokkuClient } from '../../../src/core/dokku/client.js'
import { DokkuArgumentError } from '../../../src/core/dokku/errors.js'
import { configValueProblem, storedConfigValue } from '../../../src/core/dokku/parse/config.js'
import { featuresOf, toVersion } from '../../../src/core/dokku/version.js'
import { RecordingLogger } from '../../../src/core/log.js'
import type { RemoteExecutor } from '../../../src/core/ssh/types.js'

describe('the ENV file format follows the Dokku version', () => {
  it('Dokku 0.37.7 and 0.37.5 use godotenv 1.2.0; Dokku 0.37.8 and 0.38.27 use godotenv 1.5.1', () => {
    expect(featuresOf(toVersion('0.37.5')).envFile).toBe('godotenv-1.2.0')
    expect(featuresOf(toVersion('0.37.7')).envFile).toBe('godotenv-1.2.0')
    expect(featuresOf(toVersion('0.37.8')).envFile).toBe('godotenv-1.5.1')
    expect(featuresOf(toVersion('0.38.27')).envFile).toBe('godotenv-1.5.1')
  })
})

describe('Dokku 0.38.27 (godotenv 1.5.1)', () => {
  const format = 'godotenv-1.5.1'
  it.each([`it's "quoted" here`, 'C:\\path \\n', '$HOME $(id) `id` ${X} \\$Y', 'a\\"b', 'line\nbreak\r', '', '!bang', '"leading'])('keeps %j as given', (value) => {
    expect(storedConfigValue(value, format)).toBe(value)
    expect(configValueProblem(value, format)).toBeUndefined()
  })

  it('re-formats integers (007 → 7) without calling it a problem', () => {
    expect(storedConfigValue('007', format)).toBe('7')
    expect(configValueProblem('007', format)).toBeUndefined()
  })

  it('cannot keep a value ending in a double quote (it comes back ending in a backslash)', () => {
    expect(configValueProblem('say "hi"', format)).toMatch(/ends in a double quote/)
    expect(configValueProblem('"both"', format)).toMatch(/ends in a double quote/)
  })

  it('cannot keep a value ending in a backslash (it would make the whole ENV file unreadable)', () => {
    expect(configValueProblem('C:\\dir\\', format)).toMatch(/ends in a backslash.*unreadable/)
  })
})

describe('Dokku 0.37.5 (godotenv 1.2.0)', () => {
  const format = 'godotenv-1.2.0'
  it('keeps integers as given: 007 stays 007', () => {
    expect(storedConfigValue('007', format)).toBe('007')
    expect(storedConfigValue('+5', format)).toBe('+5')
  })

  it.each(['say "hi"', 'C:\\dir\\', 'a#b#c', "it's #1", '$HOME `id`'])('keeps %j as given', (value) => {
    expect(configValueProblem(value, format)).toBeUndefined()
  })

  it('cannot keep a value whose # and quotes confuse its comment stripper, nor a line over 64 KiB', () => {
    expect(configValueProblem('x"#"y', format)).toMatch(/read it back changed/)
    expect(configValueProblem('a'.repeat(70_000), format)).toMatch(/64 KiB/)
  })
})

describe('config:set refuses values the host cannot store, naming the key and never the value', () => {
  const sent: string[][] = []
  const executor: RemoteExecutor = {
    shell: 'dokku-forced-command',
    run: (argv) => {
      sent.push([...argv])
      return Promise.resolve({ code: 0, signal: null, stdout: '{}\n', stderr: '' })
    },
    exec: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve()
  }

  it('Dokku 0.38.27: a value ending in a backslash is refused before anything is sent', async () => {
    const dokku = new DokkuClient(executor, new RecordingLogger(), toVersion('0.38.27'))
    const error = (await dokku.config.set('web', { OK: 'fine', WIN_PATH: 'secret\\' }).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(DokkuArgumentError)
    expect(error.message).toContain('WIN_PATH')
    expect(error.message).not.toContain('secret')
    expect(error.message).toMatch(/base64/)
    await expect(dokku.config.set('web', { Q: 'say "hi"' })).rejects.toThrow(/Q: it ends in a double quote/)
    expect(sent).toEqual([])
  })
})
