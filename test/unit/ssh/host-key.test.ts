import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOfBlob, knownHostsLine, parseHostKeyPins } from '../../../src/core/ssh/host-key.js'

const INPUT = 'ssh-host-key'

interface Key {
  type: string
  base64: string
  /** `ssh-keygen -lf` output line: `256 SHA256:… comment (ED25519)` */
  keygenLine: string
  fingerprint: string
}

let dir: string
const keys: Record<'ed25519' | 'rsa' | 'ecdsa' | 'ecdsa384', Key> = {} as never

function generate(name: string, args: string[]): Key {
  const path = join(dir, name)
  execFileSync('ssh-keygen', ['-q', ...args, '-f', path, '-N', '', '-C', `${name}@test`])
  const [type = '', base64 = ''] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ')
  const keygenLine = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).trim()
  return { type, base64, keygenLine, fingerprint: keygenLine.split(' ')[1] ?? '' }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'host-key-test-'))
  keys.ed25519 = generate('ed25519', ['-t', 'ed25519'])
  keys.rsa = generate('rsa', ['-t', 'rsa', '-b', '2048'])
  keys.ecdsa = generate('ecdsa', ['-t', 'ecdsa', '-b', '256'])
  keys.ecdsa384 = generate('ecdsa384', ['-t', 'ecdsa', '-b', '384'])
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('fingerprintOf', () => {
  test.each(['ed25519', 'rsa', 'ecdsa', 'ecdsa384'] as const)('matches ssh-keygen -lf for %s', (name) => {
    const key = keys[name]
    expect(fingerprintOf(Buffer.from(key.base64, 'base64'))).toBe(key.fingerprint)
    expect(fingerprintOf(Buffer.from(key.base64, 'base64'))).not.toContain('=')
    expect(keyTypeOfBlob(Buffer.from(key.base64, 'base64'))).toBe(key.type)
  })

  test('knownHostsLine brackets non-default ports only', () => {
    const blob = Buffer.from(keys.ed25519.base64, 'base64')
    expect(knownHostsLine('example.com', 22, blob)).toBe(`example.com ssh-ed25519 ${keys.ed25519.base64}`)
    expect(knownHostsLine('10.0.0.5', 2222, blob)).toBe(`[10.0.0.5]:2222 ssh-ed25519 ${keys.ed25519.base64}`)
  })
})

describe('parseHostKeyPins accepts', () => {
  const cases: Array<[string, () => string, () => Array<{ fingerprint: string; keyType: string | undefined; source: string }>]> = [
    ['a known_hosts line with a comment', () => `example.com ssh-ed25519 ${keys.ed25519.base64} deploy host`, () => [pin('ed25519', 'line 1')]],
    ['several host names', () => `example.com,203.0.113.7 ssh-rsa ${keys.rsa.base64}`, () => [pin('rsa', 'line 1')]],
    ['a [host]:port host', () => `[203.0.113.7]:2222 ecdsa-sha2-nistp256 ${keys.ecdsa.base64}`, () => [pin('ecdsa', 'line 1')]],
    ['a bare keytype base64', () => `ssh-ed25519 ${keys.ed25519.base64}`, () => [pin('ed25519', 'line 1')]],
    ['a bare key with a comment', () => `ecdsa-sha2-nistp384 ${keys.ecdsa384.base64} a comment`, () => [pin('ecdsa384', 'line 1')]],
    [
      'ssh-keyscan output with comment and blank lines',
      () =>
        [
          '# example.com:22 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
          `example.com ssh-rsa ${keys.rsa.base64}`,
          '',
          '# example.com:22 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
          `example.com ssh-ed25519 ${keys.ed25519.base64}`,
          '   '
        ].join('\n'),
      () => [pin('rsa', 'line 2'), pin('ed25519', 'line 5')]
    ],
    ['CRLF line endings and indentation', () => `  example.com ssh-ed25519 ${keys.ed25519.base64}\r\n\r\n`, () => [pin('ed25519', 'line 1')]],
    ['a bare SHA256 fingerprint', () => keys.ed25519.fingerprint, () => [{ fingerprint: keys.ed25519.fingerprint, keyType: undefined, source: 'line 1' }]],
    ['a padded SHA256 fingerprint', () => `${keys.ed25519.fingerprint}=`, () => [{ fingerprint: keys.ed25519.fingerprint, keyType: undefined, source: 'line 1' }]],
    ['ssh-keygen -lf output (ED25519)', () => keys.ed25519.keygenLine, () => [pin('ed25519', 'line 1')]],
    ['ssh-keygen -lf output (RSA)', () => keys.rsa.keygenLine, () => [pin('rsa', 'line 1')]],
    ['ssh-keygen -lf output (ECDSA 256)', () => keys.ecdsa.keygenLine, () => [pin('ecdsa', 'line 1')]],
    ['ssh-keygen -lf output (ECDSA 384)', () => keys.ecdsa384.keygenLine, () => [pin('ecdsa384', 'line 1')]],
    ['a fingerprint with a type but no bit count', () => `${keys.rsa.fingerprint} (RSA)`, () => [{ fingerprint: keys.rsa.fingerprint, keyType: 'ssh-rsa', source: 'line 1' }]],
    ['a fingerprint and a known_hosts line mixed', () => `${keys.rsa.fingerprint}\nhost ssh-ed25519 ${keys.ed25519.base64}`, () => [{ fingerprint: keys.rsa.fingerprint, keyType: undefined, source: 'line 1' }, pin('ed25519', 'line 2')]],
    ['the same key twice, once', () => `a ssh-ed25519 ${keys.ed25519.base64}\nb ssh-ed25519 ${keys.ed25519.base64}`, () => [pin('ed25519', 'line 1')]]
  ]
  test.each(cases)('%s', (_name, text, expected) => {
    expect(parseHostKeyPins(INPUT, text())).toEqual(expected())
  })

  test('a hashed known_hosts line (ssh-keygen -H)', () => {
    const file = join(dir, 'known_hosts')
    writeFileSync(file, `[203.0.113.7]:2222 ssh-ed25519 ${keys.ed25519.base64}\nexample.com ssh-rsa ${keys.rsa.base64}\n`)
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
    const hashed = readFileSync(file, 'utf8')
    expect(hashed).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /)
    expect(parseHostKeyPins(INPUT, hashed)).toEqual([pin('ed25519', 'line 1'), pin('rsa', 'line 2')])
  })

  function pin(name: keyof typeof keys, source: string) {
    return { fingerprint: keys[name].fingerprint, keyType: keys[name].type, source }
  }
})

describe('parseHostKeyPins refuses', () => {
  const cases: Array<[string, () => string, string, RegExp]> = [
    ['@revoked lines', () => `@revoked * ssh-ed25519 ${keys.ed25519.base64}`, 'line 1', /"@revoked" lines are not supported.*ssh-keyscan/],
    ['@cert-authority lines', () => `# ca\n@cert-authority *.example.com ssh-ed25519 ${keys.ed25519.base64}`, 'line 2', /"@cert-authority" lines are not supported/],
    ['invalid base64 characters', () => `example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA*IE`, 'line 1', /not valid base64.*Paste the whole line/],
    ['base64 cut to a wrong length', () => `example.com ssh-ed25519 ${keys.ed25519.base64.slice(0, -1)}`, 'line 1', /not valid base64/],
    ['a key cut short on a 4-character boundary', () => `example.com ssh-rsa ${keys.rsa.base64.slice(0, -8)}`, 'line 1', /damaged or incomplete/],
    ['a type that does not match the key', () => `example.com ssh-rsa ${keys.ed25519.base64}`, 'line 1', /says "ssh-rsa" but the key inside is "ssh-ed25519"/],
    ['base64 that is not a key', () => `example.com ssh-ed25519 ${Buffer.from('hello world, this is not a key').toString('base64')}`, 'line 1', /not an SSH public key/],
    ['an unknown key type', () => `example.com ssh-foo ${keys.ed25519.base64}`, 'line 1', /unsupported key type "ssh-foo"; supported: ssh-ed25519/],
    ['an unknown bare key type', () => `ssh-foo ${keys.ed25519.base64}`, 'line 1', /unsupported key type "ssh-foo"/],
    ['a host certificate', () => `example.com ssh-ed25519-cert-v01@openssh.com ${keys.ed25519.base64}`, 'line 1', /host certificates are not supported/],
    ['a security-key type', () => `example.com sk-ssh-ed25519@openssh.com ${keys.ed25519.base64}`, 'line 1', /unsupported key type "sk-ssh-ed25519@openssh.com"/],
    ['an MD5 fingerprint', () => `MD5:${'ab:'.repeat(15)}ab`, 'line 1', /MD5 fingerprints are too weak.*-E sha256/],
    ['an old-style hex fingerprint', () => `${'ab:'.repeat(15)}ab`, 'line 1', /MD5 fingerprints are too weak/],
    ['a SHA256 fingerprint of the wrong length', () => `SHA256:${keys.ed25519.fingerprint.slice(7, 30)}`, 'line 1', /SHA256: fingerprint is malformed/],
    ['an unknown type after a fingerprint', () => `256 ${keys.ed25519.fingerprint} x (ED448)`, 'line 1', /unsupported key type "ED448"/],
    ['a word', () => 'yes', 'line 1', /neither a known_hosts line nor a SHA256: fingerprint.*ssh-keyscan -p PORT HOST/],
    ['a host without a key', () => 'example.com ssh-ed25519', 'line 1', /neither a known_hosts line nor a SHA256: fingerprint/],
    ['a bad line after good ones', () => `example.com ssh-ed25519 ${keys.ed25519.base64}\n\nexample.com ssh-rsa !!!`, 'line 3', /not valid base64/]
  ]
  test.each(cases)('%s', (_name, text, line, message) => {
    const error = catchError(() => parseHostKeyPins(INPUT, text()))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).input).toBe(INPUT)
    expect(error.message).toContain(`Input "${INPUT}", ${line} (`)
    expect(error.message).toMatch(message)
  })

  test.each([
    ['empty', ''],
    ['blank lines', '\n  \n\t\n'],
    ['only ssh-keyscan comments', '# example.com:22 SSH-2.0-OpenSSH_9.2p1\n# example.com:22 SSH-2.0-OpenSSH_9.2p1\n']
  ])('an input with no key (%s)', (_name, text) => {
    const error = catchError(() => parseHostKeyPins(INPUT, text))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(/^Input "ssh-host-key" contains no host key.*ssh-keyscan -p PORT HOST/)
  })

  test('shows a long offending line only truncated', () => {
    const long = `example.com ssh-foo ${keys.rsa.base64}`
    const error = catchError(() => parseHostKeyPins(INPUT, long))
    expect(error.message).not.toContain(keys.rsa.base64)
    expect(error.message).toContain(`\`${long.slice(0, 59)}…\``)
  })
})

describe('hostKeyAlgorithmsFor', () => {
  test('restricts negotiation to the pinned types, in ssh2 preference order', () => {
    const pins = parseHostKeyPins(INPUT, `h ssh-rsa ${keys.rsa.base64}\nh ssh-ed25519 ${keys.ed25519.base64}`)
    expect(hostKeyAlgorithmsFor(pins)).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
  })
  test('ECDSA keys name their curve', () => {
    expect(hostKeyAlgorithmsFor(parseHostKeyPins(INPUT, keys.ecdsa384.keygenLine))).toEqual(['ecdsa-sha2-nistp384'])
  })
  test('undefined when any pin has no type (bare fingerprint)', () => {
    const pins = parseHostKeyPins(INPUT, `h ssh-ed25519 ${keys.ed25519.base64}\n${keys.rsa.fingerprint}`)
    expect(hostKeyAlgorithmsFor(pins)).toBeUndefined()
  })
  test('undefined for no pins', () => {
    expect(hostKeyAlgorithmsFor([])).toBeUndefined()
  })
})

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}
