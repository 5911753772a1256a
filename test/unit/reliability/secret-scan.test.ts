// The secret scan finds a planted secret in every form it looks for, names where and which (never
// the secret itself), and finds nothing in clean output. Planted secrets go to a registry of this
// test's own, so that the run's real scan (secret-scan-reporter.ts) is not tripped by them.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { recordReliability } from '../../support/reliability.ts'
import { captureTestOutput, OUTPUTS_DIR, readRegisteredSecrets, registerTestSecret, SCAN_DIR_VARIABLE } from '../../support/secret-registry.ts'
import { describeHits, scanDirectory, scanText, type TestSecret } from '../../support/secret-scan.ts'

// Random each run, with the characters that URL- and JSON-encoding change.
const secret = `s3cr3t+/=&%"${randomBytes(12).toString('hex')}?é`
const planted: TestSecret = { label: 'planted secret', value: secret }
const filler = randomBytes(300).toString('base64')

function base64At(offset: number): string {
  return Buffer.concat([randomBytes(offset), Buffer.from(secret), randomBytes(7)]).toString('base64')
}

function wrap(text: string, width: number): string {
  return text.match(new RegExp(`.{1,${width}}`, 'g'))?.join('\n') ?? text
}

const plantings = { tried: 0, held: 0 }
afterAll(() => recordReliability('secret-scan-catches', 'planted secrets found by scanText', plantings))

describe('scanText', () => {
  it.each([
    ['clear', `log line ${secret} more`],
    ['base64, offset 0', `payload ${base64At(0)} end`],
    ['base64, offset 1', `payload ${base64At(1)} end`],
    ['base64, offset 2', `payload ${base64At(2)} end`],
    ['base64url', base64At(1).replace(/\+/g, '-').replace(/\//g, '_')],
    ['URL-encoded', `https://example.com/?token=${encodeURIComponent(secret)}`],
    ['form-encoded', `token=${encodeURIComponent(secret).replace(/%20/g, '+')}&x=1`],
    ['JSON-escaped', JSON.stringify({ token: secret })],
    ['wrapped at 64 characters', wrap(`${filler}${secret}${filler}`, 64)],
    ['base64 wrapped at 76 characters', wrap(base64At(2) + filler, 76)],
    ['split across indented lines', `${secret.slice(0, 10)}\n    ${secret.slice(10)}`],
    ['in CRLF lines', `${secret.slice(0, 15)}\r\n${secret.slice(15)}`]
  ])('finds it %s', (_, text) => {
    plantings.tried++
    const hits = scanText('out.txt', text, [planted])
    if (hits.length === 1) plantings.held++
    expect(hits).toHaveLength(1)
    expect(hits[0]).toMatchObject({ where: 'out.txt', label: 'planted secret' })
    expect(describeHits(hits)).not.toContain(secret)
    expect(describeHits(hits)).toContain('planted secret')
  })

  it('finds a multi-line secret escaped as a workflow command, or one line of it alone', () => {
    const key = `-----BEGIN KEY-----\n${randomBytes(24).toString('base64')}\n${randomBytes(24).toString('base64')}\n-----END KEY-----`
    const multi: TestSecret = { label: 'key', value: key }
    expect(scanText('a', `::error::${key.replace(/\n/g, '%0A')}`, [multi])).toHaveLength(1)
    expect(scanText('b', `only ${key.split('\n')[2]} leaked`, [multi])[0]?.encoding).toContain('one line of it')
  })

  it('finds nothing in clean output, and ignores fragments too short to mean anything', () => {
    expect(scanText('c', `${filler}\n${wrap(filler, 64)}\n${encodeURIComponent(filler)}`, [planted])).toEqual([])
    expect(scanText('d', 'abc', [{ label: 'short', value: 'abc' }])).toEqual([])
  })
})

describe('the registry across processes', () => {
  let dir: string
  let saved: string | undefined
  beforeEach(() => {
    saved = process.env[SCAN_DIR_VARIABLE]
    dir = mkdtempSync(join(tmpdir(), 'secret-scan-test-'))
    process.env[SCAN_DIR_VARIABLE] = dir
  })
  afterEach(() => {
    if (saved === undefined) delete process.env[SCAN_DIR_VARIABLE]
    else process.env[SCAN_DIR_VARIABLE] = saved
    rmSync(dir, { recursive: true, force: true })
  })

  it('scans captured outputs for registered and masked secrets, and passes clean ones', () => {
    registerTestSecret('generated password', secret)
    const masked = randomBytes(16).toString('hex')
    // An action masked a value (the runner swallows that line), then printed it in a log line.
    captureTestOutput('leaky-run', `::add-mask::${masked}\nconnecting with ${masked}\n`)
    captureTestOutput('clean-run', 'deployed uro\n')
    captureTestOutput('base64-leak', `debug: ${Buffer.from(`x${secret}`).toString('base64')}`)
    const { files, hits } = scanDirectory(join(dir, OUTPUTS_DIR), readRegisteredSecrets(dir))
    expect(files).toBe(3)
    expect(hits.map((h) => [h.where.split('/').at(-1)?.replace(/-\d+-\d+\.txt$/, ''), h.label]).sort()).toEqual([
      ['base64-leak', 'generated password'],
      ['leaky-run', 'a value leaky-run masked']
    ])
    expect(describeHits(hits)).not.toContain(masked)
  })

  it('is a no-op outside a scanned run', () => {
    delete process.env[SCAN_DIR_VARIABLE]
    registerTestSecret('x', secret)
    captureTestOutput('y', secret)
    expect(readRegisteredSecrets(dir)).toEqual([])
  })

  it('does not take PEM armour lines for secrets', () => {
    registerTestSecret('armour', '-----BEGIN OPENSSH PRIVATE KEY-----')
    expect(readRegisteredSecrets(dir)).toEqual([])
  })
})
