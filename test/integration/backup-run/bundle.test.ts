// The committed bundle, spawned the way the runner does it (node24, INPUT_* environment, output
// and summary files), against the sandbox host: a backup, a restore and a drill, and no secret in
// anything they print or write — except in the ::add-mask:: commands that tell the runner to mask it.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/actions.ts'
import { ageKeys, createBucket, dokku, psql, sandbox, stepInputs, unique, type AgeKeys } from './helpers.ts'

let keys: AgeKeys
let work: string
const bucket = unique('bundle-backups')
const service = unique('pgbundle').replace(/-/g, '_')
const passphrase = `correct horse ${unique('battery')} staple`

interface Spawned {
  code: number | null
  stdout: string
  stderr: string
  outputs: string
  summary: string
}

function runBundle(inputs: Record<string, string>): Promise<Spawned> {
  const outputFile = join(work, `out-${Math.random().toString(36).slice(2)}`)
  const summaryFile = join(work, `summary-${Math.random().toString(36).slice(2)}`)
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, RUNNER_TEMP: work }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/backup-run/index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, outputs: readFileSync(outputFile, 'utf8'), summary: readFileSync(summaryFile, 'utf8') })
    })
  })
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'backup-run-bundle-'))
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  await psql(await sandbox().realPostgresUrl(service), "create table t (id int, v text); insert into t select g, 'row ' || g from generate_series(1, 300) g;")
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dist/backup-run/index.js against the sandbox host', () => {
  it('backs up, drills and restores, with job summary and outputs, and prints no secret', async () => {
    const dsnPassword = new URL(await sandbox().realPostgresUrl(service)).password
    const secrets = [
      sandbox().s3.secretAccessKey,
      keys.identity,
      passphrase,
      dsnPassword,
      ...sandbox().users.dokku.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))
    ]
    const base = stepInputs(bucket, keys, { sources: `postgres:${service}` })
    const runs: Spawned[] = []

    const backup = await runBundle({ ...base, mode: 'backup' })
    runs.push(backup)
    expect(backup.code, backup.stdout).toBe(0)
    expect(backup.outputs).toMatch(/backups<<.*\n\[\{"source":"postgres:/)
    expect(backup.summary).toContain('<h2>backup-run: backup</h2>')
    expect(backup.summary).toMatch(/<td>postgres:[^<]+<\/td><td>\d{8}T\d{6}\.\d{3}Z<\/td><td>backed up<\/td>/)

    const drill = await runBundle({ ...base, mode: 'verify', drill: 'true', 'age-identity': keys.identity })
    runs.push(drill)
    expect(drill.code, drill.stdout).toBe(0)
    expect(drill.outputs).toMatch(/recovery-point-age<<.*\n\d+\n/)
    expect(drill.summary).toContain('recovery point age')

    const { 'age-recipients': _unused, ...withoutRecipients } = base
    const passphraseBackup = await runBundle({ ...withoutRecipients, mode: 'backup', passphrase })
    runs.push(passphraseBackup)
    expect(passphraseBackup.code, passphraseBackup.stdout).toBe(0)
    const restore = await runBundle({ ...withoutRecipients, mode: 'restore', target: `postgres:${service}_copy`, passphrase })
    runs.push(restore)
    expect(restore.code, restore.stdout).toBe(0)
    expect(restore.stdout).toContain('row counts match the backup')

    const failing = await runBundle({ ...base, mode: 'restore', 'age-identity': keys.identity })
    runs.push(failing)
    expect(failing.code).toBe(1)
    expect(failing.stdout).toMatch(/::error::backup-run failed: 1 of 1 source\(s\) failed:%0Apostgres:.* already holds data/)

    for (const run of runs) {
      const shown = [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.outputs, run.summary].join('\n')
      for (const secret of secrets) expect(shown.includes(secret), `a secret (${secret.slice(0, 4)}…) was printed`).toBe(false)
    }
    expect(backup.stdout).toContain(`::add-mask::${sandbox().s3.secretAccessKey}`)
  })
})
