import { afterEach, describe, expect, it, vi } from 'vitest'
import { AppNotFoundError, DeployLockedError, DokkuCommandError, ServiceNotFoundError } from '../../../src/core/dokku/errors.js'
import { ConfigEchoFilter, LineEmitter, maskUrlCredentials, mentions, sanitizeOutput } from '../../../src/core/dokku/output.js'
import { RemoteCommandError } from '../../../src/core/ssh/errors.js'
import { clearSecretsForTest, registerSecret } from '../../../src/core/secrets.js'
import { CONFIG_SET_OUTPUT } from './fixtures.js'

vi.mock('@actions/core', async (importOriginal) => ({ ...(await importOriginal<typeof import('@actions/core')>()), setSecret: vi.fn() }))

afterEach(() => clearSecretsForTest())

const PW = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'

describe('output sanitising', () => {
  it('masks the password of any URL, for services whose DSN was never registered', () => {
    expect(maskUrlCredentials(`DATABASE_URL: postgres://postgres:${PW}@dokku-postgres-db:5432/db`)).toBe('DATABASE_URL: postgres://postgres:***@dokku-postgres-db:5432/db')
    expect(maskUrlCredentials(`redis://:${PW}@dokku-redis-cache:6379?pool=5`)).toBe('redis://:***@dokku-redis-cache:6379?pool=5')
    expect(maskUrlCredentials('see http://web.example.com and git@github.com:x/y')).toBe('see http://web.example.com and git@github.com:x/y')
  })

  it('drops the values config:set echoes (docs/dokku-contract.md#config-set sample)', () => {
    expect(sanitizeOutput(CONFIG_SET_OUTPUT, { echoesConfig: true })).toBe('-----> Setting config vars\n')
  })

  it('keeps what follows the echoed values, and drops every line of a multi-line value', () => {
    const output = ['-----> Setting config vars', '       KEY:  line one', 'line two', '-----> Restarting app web', ' !     Failure while restarting app: exit status 1'].join('\n')
    expect(sanitizeOutput(output, { echoesConfig: true })).toBe(['-----> Setting config vars', '-----> Restarting app web', ' !     Failure while restarting app: exit status 1'].join('\n'))
  })

  it('keeps hiding a multi-line value whose later line looks like a Dokku log line', () => {
    const filter = new ConfigEchoFilter()
    const lines = ['-----> Setting config vars', '       CERT:  line one', '=====> not a header', '-----> nor this', ' !     nor this', '-----> Restarting app web', '=====> Application deployed:']
    expect(lines.map((l) => filter.line(l))).toEqual(['-----> Setting config vars', undefined, undefined, undefined, undefined, '-----> Restarting app web', '=====> Application deployed:'])
  })

  it('hides the value of each config:import entry', () => {
    const filter = new ConfigEchoFilter()
    expect(['-----> Reading config vars from stdin', '-----> Setting config var SECRET=hunter22', '-----> Setting config var B=2'].map((l) => filter.line(l))).toEqual([
      '-----> Reading config vars from stdin',
      '-----> Setting config var SECRET=***',
      '-----> Setting config var B=***'
    ])
  })

  it('emits whole lines from chunks', () => {
    const lines: string[] = []
    const emitter = new LineEmitter((line) => lines.push(line))
    emitter.push('-----> Build')
    emitter.push('ing web\r\n=====> Application deployed:\n       http://web.exa')
    emitter.push('mple.com')
    emitter.flush()
    expect(lines).toEqual(['-----> Building web', '=====> Application deployed:', '       http://web.example.com'])
  })

  it('finds markers on either stream (0.38 moves a deploy stderr onto stdout)', () => {
    expect(mentions({ stdout: ' !     No changes detected, skipping git commit\n', stderr: '' }, 'No changes detected')).toBe(true)
    expect(mentions({ stdout: '', stderr: ' !     No changes detected, skipping git commit\n' }, 'No changes detected')).toBe(true)
    expect(mentions({ stdout: '', stderr: '' }, /No changes/)).toBe(false)
  })
})

describe('DokkuCommandError', () => {
  it('is a RemoteCommandError carrying the command, the exit code and the stderr tail', () => {
    const error = new DokkuCommandError({ command: 'dokku network:create net', exitCode: 1, stdout: '', stderr: ' !     Unable to create network: Error response from daemon: boom\n' })
    expect(error).toBeInstanceOf(RemoteCommandError)
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe('`dokku network:create net` exited with code 1:\n !     Unable to create network: Error response from daemon: boom')
  })

  it('takes a deploy failure from stdout from 0.38 (build capture, docs/dokku-contract.md#build-capture)', () => {
    const stdout = '-----> Building web from Dockerfile\n !     App build failed\n'
    const captured = new DokkuCommandError({ command: 'dokku ps:rebuild web', exitCode: 1, stdout, stderr: 'Warning: stray\n', failureOnStdout: true })
    expect(captured.failureText).toBe('-----> Building web from Dockerfile\n !     App build failed')
    const legacy = new DokkuCommandError({ command: 'dokku ps:rebuild web', exitCode: 1, stdout, stderr: ' !     App build failed\n' })
    expect(legacy.failureText).toBe(' !     App build failed')
  })

  it('redacts registered secrets in the command and the output', () => {
    registerSecret(PW)
    const error = new DokkuCommandError({ command: `dokku run --no-tty web psql ${PW}`, exitCode: 2, stdout: '', stderr: `bad password ${PW}\n` })
    expect(error.message).not.toContain(PW)
    expect(error.command).toBe('dokku run --no-tty web psql ***')
  })

  it('names the missing app for exit code 20', () => {
    const error = new AppNotFoundError('web', { command: 'dokku ps:report web --format json', exitCode: 20, stdout: '', stderr: ' !     App web does not exist\n' })
    expect(error).toBeInstanceOf(DokkuCommandError)
    expect(error.message).toMatch(/app "web" does not exist on the Dokku host \(exit code 20\)/)
  })

  it('names the missing service and explains lock collisions', () => {
    expect(new ServiceNotFoundError('Postgres', 'db', { command: 'dokku postgres:info db', exitCode: 1, stdout: '', stderr: ' !     Postgres service db does not exist\n' }).message).toMatch(/Postgres service "db" does not exist/)
    const locked = new DeployLockedError('web', { command: 'dokku git:from-image web img:2', exitCode: 1, stdout: ' !     web currently has a deploy lock in place. Exiting...\n', stderr: '', failureOnStdout: true })
    expect(locked.message).toMatch(/holds its deploy lock/)
    expect(locked.failureText).toContain('currently has a deploy lock in place')
  })
})
