// A vitest reporter (see vitest.config.ts) that runs the secret scan over the whole run: it makes the
// run's registry directory before any test starts, keeps what the tests print (the runner's captured
// stdout and stderr), and when the run ends scans every captured output for every registered secret.
// A hit fails the run, naming the output and the secret's label, never the secret. It is wired in
// vitest.config.ts next to the default reporter: a `--reporter` on the command line replaces both.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { UserConsoleLog } from 'vitest'
import type { Reporter } from 'vitest/node'
import { recordReliability } from './reliability.ts'
import { captureTestOutput, OUTPUTS_DIR, readRegisteredSecrets, SCAN_DIR_VARIABLE } from './secret-registry.ts'
import { describeHits, scanDirectory } from './secret-scan.ts'

export default class SecretScanReporter implements Reporter {
  private dir: string | undefined
  private readonly console: string[] = []

  onInit(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'dokku-stack-secret-scan-'))
    chmodSync(this.dir, 0o700)
    // Set before the workers start, so that they inherit it.
    process.env[SCAN_DIR_VARIABLE] = this.dir
    // The directory holds test secrets: gone even when the run dies before it ends.
    const dir = this.dir
    process.once('exit', () => {
      if (!process.env.SECRET_SCAN_KEEP) rmSync(dir, { recursive: true, force: true })
    })
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    this.console.push(log.content)
  }

  onTestRunEnd(): void {
    const dir = this.dir
    if (!dir) return
    try {
      captureTestOutput('vitest-console', this.console.splice(0).join(''))
      const secrets = readRegisteredSecrets(dir)
      const { files, hits } = scanDirectory(join(dir, OUTPUTS_DIR), secrets)
      recordReliability('secrets-never-leak', 'every captured output scanned for every generated secret', {
        tried: files * secrets.length,
        held: files * secrets.length - hits.length,
        details: { secrets: secrets.length, outputs: files, hits: hits.length }
      })
      if (hits.length > 0) {
        process.stderr.write(`\nsecret scan: ${hits.length} secret(s) found in the tests' output:\n${describeHits(hits.map((hit) => ({ ...hit, where: relative(dir, hit.where) })))}\n`)
        process.exitCode = 1
      } else if (process.env.SECRET_SCAN_VERBOSE || process.env.RELIABILITY_RESULTS) {
        process.stderr.write(`\nsecret scan: ${secrets.length} secrets, ${files} outputs, no hit\n`)
      }
    } finally {
      // SECRET_SCAN_KEEP=1 keeps the directory (test secrets and outputs, mode 0700) to look into a hit.
      if (process.env.SECRET_SCAN_KEEP) process.stderr.write(`secret scan: kept ${dir}\n`)
      else rmSync(dir, { recursive: true, force: true })
      this.dir = undefined
      delete process.env[SCAN_DIR_VARIABLE]
    }
  }
}
