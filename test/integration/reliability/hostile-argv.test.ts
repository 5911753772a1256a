// Issue 17, "Hostile input", on the host side: hostile values the inputs accept, sent by the real
// DokkuClient through the real quoting and the real sshd (the dokku user's forced command, xargs
// re-parse and all) to the simulator, which logs every argv it receives. A sandbox of its own, so
// that its argv log holds this file's commands only: the log must equal what the client sent —
// byte for byte, nothing more — and no file may appear outside the sandbox (no canary anywhere, the
// dokku user's home and the repository tree unchanged).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DokkuClient } from '../../../src/core/dokku/index.js'
import { RecordingLogger } from '../../../src/core/log.js'
import { clearSecretsForTest } from '../../../src/core/secrets.js'
import { connectSsh } from '../../../src/core/ssh/connection.js'
import { readArgvLog } from '../../sandbox/simulator/core/argv-log.ts'
import { REPO_ROOT, startSandbox, type Sandbox } from '../../sandbox/harness/sandbox.ts'
import { CANARY_PREFIX, HOSTILE_CATEGORIES, hostileCorpus } from '../../support/hostile.ts'
import { INPUT_TABLES, type HostFixture } from '../../support/hostile-inputs/index.ts'
import { caseName, tryHostile } from '../../support/hostile-inputs/trial.ts'
import { captureStdout, captureStdoutAsync } from '../../support/inputs.ts'
import { RecordingExecutor } from '../../support/recording-executor.ts'
import { recordReliability } from '../../support/reliability.ts'
import { sshSettings } from '../dokku/helpers.ts'

/** Accepted values sent per input and category: every category × every input that reaches the host, bounded. */
const PER_CATEGORY = Number(process.env.HOSTILE_SAMPLES_PER_CATEGORY ?? 1)
const CONCURRENCY = 4
/** The dokku user's home, known once the sandbox has made sure the user exists. */
let dokkuHome = ''

let sandbox: Sandbox
let executor: RecordingExecutor
let dokku: DokkuClient
let logOffset = 0
const fixture: HostFixture = { app: 'hostile-app', service: 'hostile_db', absentApp: 'hostile-absent', configKey: 'HOSTILE' }
const before = { home: [] as string[], repo: '' }

beforeAll(async () => {
  sandbox = await startSandbox()
  dokkuHome = execFileSync('getent', ['passwd', 'dokku'], { encoding: 'utf8' }).split(':')[5] as string
  before.home = listTree(dokkuHome)
  before.repo = repoStatus()
  const logger = new RecordingLogger()
  executor = new RecordingExecutor(await connectSsh(sshSettings(sandbox), { logger, retries: 2, backoffMs: 200 }))
  dokku = await DokkuClient.create(executor, logger)
  await dokku.apps.create(fixture.app)
  await dokku.postgres.create(fixture.service)
}, 120_000)

afterAll(async () => {
  clearSecretsForTest()
  await executor?.close()
  await sandbox?.stop()
}, 60_000)

interface Sample {
  name: string
  id: string
  send: () => Promise<unknown>
}

function samples(): Sample[] {
  const corpus = hostileCorpus()
  const chosen: Sample[] = []
  captureStdout(() => {
    for (const table of INPUT_TABLES)
      for (const c of table.cases) {
        const send = c.send
        // Config values are all sent by the batch test below, and read back.
        if (!send || c.input === 'config') continue
        for (const category of HOSTILE_CATEGORIES) {
          let taken = 0
          for (const hostile of corpus) {
            if (taken >= PER_CATEGORY) break
            if (hostile.category !== category) continue
            const trial = tryHostile(table, c, hostile)
            if (trial.kind !== 'accepted' || trial.landed === undefined) continue
            taken++
            const sampleFixture = { ...fixture, configKey: `HOSTILE_${chosen.length}` }
            const sample: Sample = { name: caseName(table, c), id: hostile.id, send: () => send(dokku, trial.settings, sampleFixture) }
            chosen.push(sample)
          }
        }
      }
    clearSecretsForTest()
  })
  return chosen
}

describe('hostile values the inputs accept, on the host', () => {
  it('arrive byte for byte, and nothing else runs', async () => {
    const chosen = samples()
    expect(chosen.length).toBeGreaterThan(50)
    logOffset = statSync(join(sandbox.root, 'run', 'argv.jsonl')).size
    const sentBefore = executor.sent.length
    let next = 0
    const worker = async () => {
      while (next < chosen.length) {
        const sample = chosen[next++] as Sample
        // The outcome on the host does not matter here (a refusal by the simulator is fine): what arrived does.
        await sample.send().catch(() => undefined)
      }
    }
    await captureStdoutAsync(() => Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => undefined))

    const intended = executor.sent.slice(sentBefore).map((argv) => JSON.stringify(argv))
    const received = readArgvLog(sandbox.root, logOffset).map((record) => JSON.stringify(record.argv))
    const missing = difference(intended, received)
    const unexpected = difference(received, intended)
    recordReliability('hostile-input-on-host', 'accepted values sent over the real sshd', {
      tried: intended.length,
      held: intended.length - missing.length,
      details: { samples: chosen.length, unexpected: unexpected.length, refusedBeforeSending: executor.refused.length }
    })
    expect(executor.raw).toEqual([])
    expect(missing.slice(0, 10)).toEqual([])
    expect(unexpected.slice(0, 10)).toEqual([])
    expect(intended.length).toBeGreaterThan(50)
  }, 300_000)

  it('carries every accepted config value of the corpus byte for byte, in few commands', async () => {
    const corpus = hostileCorpus()
    const values = new Map<string, string>()
    const distinct = new Set<string>()
    captureStdout(() => {
      const table = INPUT_TABLES.find((t) => t.action === 'dokku-deploy')
      for (const c of table?.cases ?? [])
        if (c.input === 'config' && c.variant !== 'key')
          for (const hostile of corpus) {
            const trial = tryHostile(table as (typeof INPUT_TABLES)[number], c, hostile)
            // Values too long for one argument are a known gap (known-gaps.ts), refused before sending.
            // Each distinct value once: the single-line and multi-line forms mostly land the same.
            if (trial.kind === 'accepted' && typeof trial.landed === 'string' && Buffer.byteLength(trial.landed) < 20_000 && !distinct.has(trial.landed)) {
              distinct.add(trial.landed)
              values.set(`HOSTILE_${c.variant === 'value' ? 'V' : 'M'}_${hostile.id.replaceAll('-', '_')}`, trial.landed)
            }
          }
      clearSecretsForTest()
    })
    const offset = statSync(join(sandbox.root, 'run', 'argv.jsonl')).size
    const sentBefore = executor.sent.length
    const batches: Record<string, string>[] = [{}]
    let size = 0
    for (const [key, value] of values) {
      const bytes = key.length + Math.ceil(Buffer.byteLength(value) / 3) * 4
      if (size + bytes > 60_000 || Object.keys(batches.at(-1) as object).length >= 100) {
        batches.push({})
        size = 0
      }
      ;(batches.at(-1) as Record<string, string>)[key] = value
      size += bytes
    }
    const stored = await captureStdoutAsync(async () => {
      for (const batch of batches) await dokku.config.set(fixture.app, batch)
    }).then(() => captureExport())
    const wrong = [...values].filter(([key, value]) => stored[key] !== value).map(([key]) => key)
    const intended = executor.sent.slice(sentBefore).map((argv) => JSON.stringify(argv))
    const received = readArgvLog(sandbox.root, offset).map((record) => JSON.stringify(record.argv))
    recordReliability('hostile-input-on-host', 'config values set and read back over the real sshd', {
      tried: values.size,
      held: values.size - wrong.length,
      details: { commands: intended.length, unexpected: difference(received, intended).length }
    })
    expect(wrong.slice(0, 10)).toEqual([])
    expect(difference(intended, received)).toEqual([])
    expect(difference(received, intended)).toEqual([])
    expect(values.size).toBeGreaterThan(500)
  }, 300_000)

  it('creates no file outside the sandbox', () => {
    const dirs = ['/tmp', dokkuHome, REPO_ROOT, sandbox.root, process.cwd()]
    const canaries = findCanaries(dirs)
    const newInHome = difference(listTree(dokkuHome), before.home)
    const repoNow = repoStatus()
    const checks = [...dirs.map((dir) => !canaries.some((c) => c.startsWith(dir))), newInHome.length === 0, repoNow === before.repo]
    recordReliability('no-file-outside-sandbox', 'canary files looked for in 5 places; dokku home and repository tree compared', { tried: checks.length, held: checks.filter(Boolean).length })
    expect(canaries).toEqual([])
    expect(newInHome).toEqual([])
    expect(repoNow).toBe(before.repo)
  })
})

async function captureExport(): Promise<Record<string, string>> {
  let stored: Record<string, string> = {}
  await captureStdoutAsync(async () => {
    stored = await dokku.config.export(fixture.app)
  })
  return stored
}

/** Items of `a` not matched one for one in `b`. */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const item of b) counts.set(item, (counts.get(item) ?? 0) + 1)
  const left: string[] = []
  for (const item of a) {
    const n = counts.get(item) ?? 0
    if (n > 0) counts.set(item, n - 1)
    else left.push(item.length > 200 ? `${item.slice(0, 197)}...` : item)
  }
  return left
}

function listTree(dir: string, depth = 4): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  const walk = (path: string, level: number) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      out.push(full)
      if (entry.isDirectory() && level < depth) walk(full, level + 1)
    }
  }
  walk(dir, 1)
  return out.sort()
}

function findCanaries(dirs: readonly string[]): string[] {
  const found = new Set<string>()
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    const out = execFileSync('find', [dir, '-maxdepth', '4', '-name', 'node_modules', '-prune', '-o', '-name', `${CANARY_PREFIX}*`, '-print'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    for (const line of out.split('\n')) if (line !== '') found.add(line)
  }
  return [...found]
}

function repoStatus(): string {
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: REPO_ROOT, encoding: 'utf8' })
}
