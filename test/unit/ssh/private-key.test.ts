import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.js'
import { checkPrivateKey } from '../../../src/core/ssh/private-key.js'

const KEY_INPUT = 'ssh-private-key'
const PASS_INPUT = 'ssh-passphrase'
const PASSPHRASE = 'correct horse battery staple'

let dir: string
const k: Record<string, { private: string; public: string }> = {}

function generate(name: string, args: string[], passphrase = ''): void {
  const path = join(dir, name)
  execFileSync('ssh-keygen', ['-q', ...args, '-f', path, '-N', passphrase, '-C', `${name}@test`])
  k[name] = { private: readFileSync(path, 'utf8'), public: readFileSync(`${path}.pub`, 'utf8') }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'private-key-test-'))
  generate('ed25519', ['-t', 'ed25519'])
  generate('ed25519-encrypted', ['-t', 'ed25519'], PASSPHRASE)
  generate('rsa', ['-t', 'rsa', '-b', '2048'])
  generate('rsa-pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'])
  generate('rsa-pem-encrypted', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], PASSPHRASE)
  generate('rsa-pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'])
  generate('ecdsa', ['-t', 'ecdsa'])
  const pub = join(dir, 'rsa.pub')
  k['pem-public'] = { private: execFileSync('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', pub], { encoding: 'utf8' }), public: '' }
  k['rfc4716-public'] = { private: execFileSync('ssh-keygen', ['-e', '-f', pub], { encoding: 'utf8' }), public: '' }
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const check = (key: string, passphrase?: string) => checkPrivateKey(KEY_INPUT, PASS_INPUT, key, passphrase)

describe('checkPrivateKey accepts', () => {
  test.each<[string, () => string, string | undefined]>([
    ['an ed25519 key', () => k['ed25519']!.private, undefined],
    ['an OpenSSH RSA key', () => k['rsa']!.private, undefined],
    ['a PEM RSA key', () => k['rsa-pem']!.private, undefined],
    ['an ECDSA key', () => k['ecdsa']!.private, undefined],
    ['an encrypted key with its passphrase', () => k['ed25519-encrypted']!.private, PASSPHRASE],
    ['an encrypted PEM key with its passphrase', () => k['rsa-pem-encrypted']!.private, PASSPHRASE],
    ['a key with CRLF line endings', () => k['ed25519']!.private.replaceAll('\n', '\r\n'), undefined],
    ['a key with surrounding whitespace', () => `\n  ${k['ed25519']!.private}  \n\n`, undefined],
    ['an unencrypted key with a needless passphrase', () => k['ed25519']!.private, 'unused']
  ])('%s', (_name, key, passphrase) => {
    expect(() => check(key(), passphrase)).not.toThrow()
  })
})

describe('checkPrivateKey refuses', () => {
  const cases: Array<[string, () => string, string | undefined, RegExp]> = [
    ['an OpenSSH public key', () => k['ed25519']!.public, undefined, /holds a public key, not a private key.*without "\.pub".*dokku ssh-keys:add/],
    ['an authorized_keys line', () => `no-pty ${k['rsa']!.public}`, undefined, /holds a public key/],
    ['a PEM public key', () => k['pem-public']!.private, undefined, /holds a public key/],
    ['an RFC 4716 public key', () => k['rfc4716-public']!.private, undefined, /holds a public key/],
    ['an empty value', () => '  \n', undefined, /is empty/],
    ['a word', () => 'my-deploy-key', undefined, /does not hold an SSH private key.*base64-encoded.*BEGIN\/END lines.*line breaks were lost/],
    ['a base64-encoded key', () => Buffer.from(k['ed25519']!.private).toString('base64'), undefined, /does not hold an SSH private key.*base64-encoded/],
    ['a key without its BEGIN/END lines', () => k['ed25519']!.private.split('\n').slice(1, -2).join('\n'), undefined, /does not hold an SSH private key/],
    ['a key pasted as one line', () => k['ed25519']!.private.replaceAll('\n', ' '), undefined, /line breaks were lost/],
    ['a key with literal \\n', () => k['ed25519']!.private.replaceAll('\n', '\\n'), undefined, /line breaks were lost/],
    ['a truncated key', () => `${k['rsa']!.private.slice(0, 400)}\n-----END OPENSSH PRIVATE KEY-----\n`, undefined, /damaged or cut short/],
    ['an encrypted key without a passphrase', () => k['ed25519-encrypted']!.private, undefined, /passphrase-protected key, but input "ssh-passphrase" is empty/],
    ['an encrypted key with an empty passphrase', () => k['ed25519-encrypted']!.private, '', /passphrase-protected key, but input "ssh-passphrase" is empty/],
    ['an encrypted PEM key without a passphrase', () => k['rsa-pem-encrypted']!.private, undefined, /passphrase-protected key, but input "ssh-passphrase"/],
    ['an encrypted key with a wrong passphrase', () => k['ed25519-encrypted']!.private, 'Tr0ub4dor&3', /could not be decrypted with the passphrase in input "ssh-passphrase" \(wrong passphrase\?\)/],
    ['an encrypted PEM key with a wrong passphrase', () => k['rsa-pem-encrypted']!.private, 'Tr0ub4dor&3', /could not be decrypted with the passphrase/],
    ['a PKCS#8 key', () => k['rsa-pkcs8']!.private, undefined, /PKCS#8 key.*ssh-keygen -p -f/],
    ['an unsupported OpenSSH key type', () => craftOpenSshKey('ssh-xmss@openssh.com'), undefined, /type this action cannot use \(ssh-xmss@openssh.com\).*ed25519/],
    ['a security-key (FIDO) key', () => craftOpenSshKey('sk-ssh-ed25519@openssh.com'), undefined, /type this action cannot use \(sk-ssh-ed25519@openssh.com\)/]
  ]
  test.each(cases)('%s', (_name, key, passphrase, message) => {
    const value = key()
    const error = catchError(() => check(value, passphrase))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).input).toBe(KEY_INPUT)
    expect(error.message).toMatch(new RegExp(`^Input "${KEY_INPUT}" `))
    expect(error.message).toMatch(message)
    // Never any part of the key or the passphrase.
    for (const line of value.split(/\r?\n|\\n| /)) if (line.length >= 16 && !line.startsWith('-----')) expect(error.message).not.toContain(line)
    if (passphrase) expect(error.message).not.toContain(passphrase)
  })
})

/** An OpenSSH private key file with an arbitrary key type, to reach ssh2's unsupported-type path. */
function craftOpenSshKey(type: string): string {
  const str = (b: Buffer | string) => {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b)
    const length = Buffer.alloc(4)
    length.writeUInt32BE(buf.length)
    return Buffer.concat([length, buf])
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    return b
  }
  const pub = Buffer.concat([str(type), str(Buffer.alloc(32, 1))])
  let priv = Buffer.concat([u32(0x01020304), u32(0x01020304), str(type), str(Buffer.alloc(32, 1)), str(Buffer.alloc(64, 2)), str('comment')])
  for (let pad = 1; priv.length % 8 !== 0; pad++) priv = Buffer.concat([priv, Buffer.from([pad])])
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), str('none'), str('none'), str(''), u32(1), str(pub), str(priv)])
  const lines = body.toString('base64').match(/.{1,70}/g) ?? []
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`
}

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}
