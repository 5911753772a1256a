import { describe, expect, it } from 'vitest'
import { invalidBlockLines, verifyTarget, VERIFY_TARGET_ENV } from '../../../src/core/caddy/verify.js'
import { ConfigurationError } from '../../../src/core/errors.js'

describe('verify helpers', () => {
  it('probes each domain on 80/443 unless the test-only override names a loopback Caddy', () => {
    expect(verifyTarget({})).toEqual({ connectHost: undefined, httpPort: 80, httpsPort: 443 })
    expect(verifyTarget({ [VERIFY_TARGET_ENV]: '127.0.0.1:8080:8443' })).toEqual({ connectHost: '127.0.0.1', httpPort: 8080, httpsPort: 8443 })
    expect(() => verifyTarget({ [VERIFY_TARGET_ENV]: '127.0.0.1:8443' })).toThrow(ConfigurationError)
  })

  it("finds caddy-docker-proxy's dropped-block reports since the change, and counts lines without a time", () => {
    const since = Date.UTC(2026, 11, 7, 12, 0, 0)
    const at = (ms: number) => (ms / 1000).toFixed(3)
    const logs = [
      `{"level":"info","ts":${at(since - 60_000)},"logger":"docker-proxy","msg":"Process Caddyfile","logs":"[ERROR]  Removing invalid block: old"}`,
      `{"level":"info","ts":${at(since + 2_000)},"logger":"docker-proxy","msg":"Process Caddyfile","logs":"[ERROR]  Removing invalid block: new"}`,
      `{"level":"info","ts":${at(since + 3_000)},"logger":"docker-proxy","msg":"New Caddyfile"}`,
      '[ERROR]  Removing invalid block: untimed'
    ].join('\n')
    expect(invalidBlockLines(logs, since).map((l) => l.replace(/.*Removing invalid block: /, '').replace(/".*/, ''))).toEqual(['new', 'untimed'])
  })
})
