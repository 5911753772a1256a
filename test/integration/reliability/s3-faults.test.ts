// Faults mid-flight, on the S3 side (issue 17): backup-run against the sandbox's S3 server through a
// fault-injecting proxy (test/support/s3-fault-proxy.ts). Transient faults — 500, 503 with and
// without Retry-After, a slow answer, the socket closed half-way through a part — are retried by
// the SDK (createS3Client: maxAttempts 4, its standard backoff) and the backup completes. Persistent
// ones end the run with a clear failure; then no manifest names the unfinished backup, the previous
// backup is still the newest complete one and `verify` picks it. An upload whose abort never reached
// the server is aborted by a later run once it is a dead run's (src/core/backup/abandoned-uploads.ts),
// and an upload still being written beside it is left alone.
//
// One postgres source of ~8 MB stored (2 parts of 5 MiB), on the run's shared sandbox.
import { CreateMultipartUploadCommand, UploadPartCommand, AbortMultipartUploadCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithReport, type RunReport } from '../../../src/actions/backup-run/main.ts'
import { ABANDONED_AFTER_MS } from '../../../src/core/backup/abandoned-uploads.ts'
import { RecordingLogger } from '../../../src/core/log.ts'
import { ObjectStore } from '../../../src/core/s3/client.ts'
import { ageKeys, createBucket, directS3, dokku, psql, reader, sandbox, stepInputs, unique, type AgeKeys } from '../backup-run/helpers.ts'
import { recordReliability } from '../../support/reliability.ts'
import { S3FaultProxy, type FaultRule } from '../../support/s3-fault-proxy.ts'

const MIB = 1024 * 1024
const PROMISE = 's3-faults'
const PREFIX = 'faults/'
const bucket = unique('s3-faults')
const service = unique('pgfault').replace(/-/g, '_')
let keys: AgeKeys
let proxy: S3FaultProxy

beforeAll(async () => {
  keys = await ageKeys()
  await createBucket(bucket)
  expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  // md5 text: pg_dump's own compression leaves about half, so the dump spans two 5 MiB parts.
  await psql(
    await sandbox().realPostgresUrl(service),
    `create table big (id int primary key, payload text);
     insert into big select g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) from generate_series(1, 150000) g;`
  )
  proxy = await S3FaultProxy.start(sandbox().s3.endpointIp)
}, 120_000)

afterAll(async () => {
  await proxy?.close()
  await dokku(`postgres:destroy ${service} --force`).catch(() => undefined)
})

function inputs(extra: Record<string, string>) {
  return reader(stepInputs(bucket, keys, { 's3-endpoint': proxy.endpoint, 's3-prefix': PREFIX, sources: `postgres:${service}`, ...extra }))
}

async function backup(options: { now?: () => Date } = {}): Promise<{ report?: RunReport; error?: Error; logger: RecordingLogger; ms: number }> {
  const logger = new RecordingLogger()
  const started = performance.now()
  try {
    const report = await runWithReport(inputs({ mode: 'backup' }), logger, { upload: { partSize: 5 * MIB }, ...(options.now ? { now: options.now } : {}) })
    return { report, logger, ms: Math.round(performance.now() - started) }
  } catch (error) {
    return { error: error as Error, logger, ms: Math.round(performance.now() - started) }
  }
}

/** The newest complete backup by `list`, and the one `verify` (with the key: every checksum) picks. */
async function newest(decrypt = false): Promise<{ listed: string | undefined; verified: string | undefined; verifiedOk: boolean; detail: string | undefined }> {
  const list = await runWithReport(inputs({ mode: 'list' }), new RecordingLogger())
  const complete = list.results.filter((r) => r.outcome === 'complete').map((r) => r.id as string)
  const verify = await runWithReport(inputs({ mode: 'verify', ...(decrypt ? { 'age-identity': keys.identity } : {}) }), new RecordingLogger())
  return { listed: complete.sort().at(-1), verified: verify.results[0]?.id, verifiedOk: verify.results[0]?.outcome === 'verified', detail: verify.results[0]?.detail }
}

/** Records the case (tried 1, held 1 when every check passed) and then asserts each check. */
function settle(name: string, checks: Record<string, boolean>, detail: string, details: Record<string, number> = {}): void {
  const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
  recordReliability(PROMISE, name, { tried: 1, held: failed.length === 0 ? 1 : 0, details })
  expect(failed, `${name}: ${detail}`).toEqual([])
}

let previous: string

describe('backup-run through a faulty S3 endpoint', () => {
  it('completes a clean backup first (the one every failed run must leave the newest)', async () => {
    const run = await backup()
    expect(run.error).toBeUndefined()
    previous = run.report?.results[0]?.id as string
    expect(run.report?.results[0]?.outcome).toBe('backed up')
    expect(proxy.requests('UploadPart', bucket).length).toBeGreaterThanOrEqual(2)
  }, 120_000)

  // Two runs, each with several transient faults (fewer runs keep the file quick): every fault is
  // counted on its own, as one case tried.
  const part = (n: number) => (r: { query: Record<string, string> }) => r.query.partNumber === String(n)
  const transient: { name: string; rules: FaultRule[] }[] = [
    {
      name: 'UploadPart 500, UploadPart 503 with Retry-After: 1, HeadBucket 503, CompleteMultipartUpload 503 and the manifest PutObject 500, each once',
      rules: [
        { operation: 'UploadPart', fault: { kind: 'status', status: 500 }, times: 1, match: part(1) },
        { operation: 'UploadPart', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, times: 1, match: part(2) },
        { operation: 'HeadBucket', fault: { kind: 'status', status: 503 }, times: 1 },
        { operation: 'CompleteMultipartUpload', fault: { kind: 'status', status: 503 }, times: 1 },
        { operation: 'PutObject', fault: { kind: 'status', status: 500 }, times: 1, match: (r) => r.key.endsWith('manifest.json') }
      ]
    },
    {
      name: 'the socket closed half-way through an UploadPart body, UploadPart 503 without Retry-After, a slow UploadPart (3 s)',
      rules: [
        { operation: 'UploadPart', fault: { kind: 'cut-mid-body' }, times: 1, match: part(1) },
        { operation: 'UploadPart', fault: { kind: 'status', status: 503 }, times: 1, match: part(2) },
        { operation: 'UploadPart', fault: { kind: 'delay', ms: 3_000 }, times: 1, match: part(2) }
      ]
    }
  ]
  for (const { name, rules } of transient) {
    it(`transient: ${name} — retried, and the backup completes`, async () => {
      proxy.reset()
      for (const rule of rules) proxy.inject(rule)
      const run = await backup()
      const id = run.report?.results[0]?.id
      const faulted = proxy.seen.filter((r) => r.fault !== undefined)
      // A faulted request was retried: the same operation on the same key (and part) came again and passed.
      const passedLater = (f: (typeof faulted)[number]) =>
        f.fault?.startsWith('delay') ? f.status === 200 : proxy.seen.some((r) => r.seq > f.seq && r.operation === f.operation && r.key === f.key && r.query.partNumber === f.query.partNumber && r.status === 200)
      const attemptsPerPart = new Map<string, number>()
      for (const r of proxy.requests('UploadPart', bucket)) attemptsPerPart.set(r.query.partNumber ?? '', (attemptsPerPart.get(r.query.partNumber ?? '') ?? 0) + 1)
      const after = await newest(true)
      const runOk = run.error === undefined && run.report?.results[0]?.outcome === 'backed up' && after.listed === id && after.verified === id && after.verifiedOk
      const checks: Record<string, boolean> = {
        'every fault was injected': faulted.length === rules.reduce((n, r) => n + (r.times ?? 0), 0),
        'no part took more than the SDK’s 4 attempts': [...attemptsPerPart.values()].every((n) => n <= 4),
        'the run succeeded, and its backup is the newest complete one and verifies': runOk
      }
      for (const f of faulted) {
        const ok = runOk && passedLater(f)
        checks[`${f.operation}${f.query.partNumber ? ` part ${f.query.partNumber}` : ''} ${f.fault}: retried, then passed`] = ok
        recordReliability(PROMISE, `transient ${f.operation} ${f.fault}`, { tried: 1, held: ok ? 1 : 0 })
      }
      const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([what]) => what)
      expect(failed, `${JSON.stringify(after)} ${id}\n${run.error?.message ?? run.logger.text().slice(-2000)}`).toEqual([])
      previous = id as string
    }, 180_000)
  }

  const persistent: { name: string; rules: FaultRule[]; message: RegExp; aborted: boolean }[] = [
    { name: 'UploadPart always answers 500', rules: [{ operation: 'UploadPart', fault: { kind: 'status', status: 500 } }], message: /Uploading part \d+ of faults\/postgres\/.* failed: .*internal error/i, aborted: true },
    {
      name: 'UploadPart always answers 503 with Retry-After: 1',
      rules: [{ operation: 'UploadPart', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 } }],
      message: /Uploading part \d+ of faults\/postgres\/.* failed: .*reduce your request rate/i,
      aborted: true
    },
    { name: 'every UploadPart is cut half-way', rules: [{ operation: 'UploadPart', fault: { kind: 'cut-mid-body' } }], message: /Uploading part \d+ of faults\/postgres\/.* failed: .*(socket|reset|hang up|closed)/i, aborted: true },
    { name: 'CompleteMultipartUpload always answers 500', rules: [{ operation: 'CompleteMultipartUpload', fault: { kind: 'status', status: 500 } }], message: /internal error/i, aborted: true },
    {
      // 500, not 503: the SDK backs off longer from a 503 (SlowDown is throttling), and the UploadPart cases cover it.
      name: 'the manifest PutObject always answers 500',
      rules: [{ operation: 'PutObject', fault: { kind: 'status', status: 500 }, match: (r) => r.key.endsWith('manifest.json') }],
      message: /internal error/i,
      aborted: false
    }
  ]
  for (const { name, rules, message, aborted } of persistent) {
    it(`persistent: ${name} — a clear failure, no manifest, the previous backup stays the newest`, async () => {
      proxy.reset()
      for (const rule of rules) proxy.inject(rule)
      const run = await backup()
      proxy.reset()
      const detail = run.error?.message ?? ''
      const created = sandbox().s3.requests().filter((r) => r.bucket === bucket && r.operation === 'CreateMultipartUpload').at(-1)
      const abortedOnServer = sandbox().s3.requests().some((r) => r.bucket === bucket && r.operation === 'AbortMultipartUpload' && r.key === created?.key && r.status === 204)
      const after = await newest()
      settle(
        `persistent: ${name}`,
        {
          'the run failed, naming the source and the S3 error': run.error !== undefined && detail.includes(`postgres:${service}`) && message.test(detail),
          'no manifest was written for it': !sandbox().s3.requests().some((r) => r.bucket === bucket && r.operation === 'PutObject' && r.key.endsWith('manifest.json') && r.status === 200 && !r.key.includes(previous) && r.seq > (created?.seq ?? 0)),
          'its multipart upload was aborted on the server': !aborted || abortedOnServer,
          'the previous backup is still the newest complete one, and verifies': after.listed === previous && after.verified === previous && after.verifiedOk
        },
        `${detail}\n${run.logger.text().slice(-1500)}`,
        { ms: run.ms }
      )
    }, 180_000)
  }

  it('a later run aborts the upload a dead run left (its abort never arrived), and leaves a live one alone', async () => {
    // The dead run: every part and its abort refused, so its upload stays on the server.
    proxy.reset()
    proxy.inject({ operation: 'UploadPart', fault: { kind: 'status', status: 500 } })
    proxy.inject({ operation: 'AbortMultipartUpload', fault: { kind: 'status', status: 500 } })
    const dead = await backup()
    proxy.reset()
    const deadUpload = sandbox().s3.requests().filter((r) => r.bucket === bucket && r.operation === 'CreateMultipartUpload').at(-1)
    const store = new ObjectStore({ endpoint: sandbox().s3.endpointIp, region: sandbox().s3.region, bucket, accessKeyId: sandbox().s3.accessKeyId, secretAccessKey: sandbox().s3.secretAccessKey })
    const s3 = directS3()
    try {
      const pending = async () => {
        const all = []
        for await (const upload of store.listMultipartUploads(PREFIX)) all.push(upload)
        return all
      }
      const deadId = (await pending()).find((u) => u.key === deadUpload?.key)?.uploadId

      // A concurrent run's upload, still being written (a part just now).
      const liveKey = `${PREFIX}postgres/${service}/${new Date().toISOString().replace(/[-:]/g, '')}/${service}.dump.zst.age`
      const live = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: liveKey }))
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: liveKey, UploadId: live.UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }))
      const liveWritten = (await store.lastPartWritten(liveKey, live.UploadId as string)) as Date
      const deadWritten = deadId ? await store.lastPartWritten(deadUpload?.key as string, deadId) : undefined

      // A run right away: both uploads were written to moments ago, so neither is taken for a dead run's.
      const soon = await backup()
      const afterSoon = (await pending()).map((u) => u.uploadId)

      // A run whose clock is ABANDONED_AFTER_MS past the midpoint between the two uploads' last
      // writes: the dead run's upload has been idle that long, the live one not quite.
      const deadLast = Math.max(deadWritten?.getTime() ?? 0, (await pending()).find((u) => u.uploadId === deadId)?.initiated?.getTime() ?? 0)
      const shifted = (deadLast + liveWritten.getTime()) / 2 + ABANDONED_AFTER_MS
      const later = await backup({ now: () => new Date(shifted) })
      const afterLater = (await pending()).map((u) => u.uploadId)
      settle(
        'a dead run’s upload is aborted by a later run, a live one is left alone',
        {
          'the dead run failed and left its upload': dead.error !== undefined && deadId !== undefined,
          'a run right after it aborts neither': soon.error === undefined && afterSoon.includes(deadId as string) && afterSoon.includes(live.UploadId as string),
          'a run an hour later aborts the dead one': later.error === undefined && !afterLater.includes(deadId as string),
          'and leaves the live one': afterLater.includes(live.UploadId as string),
          'it says so in its log': later.logger.text().includes(`aborted the multipart upload of ${deadUpload?.key}`)
        },
        `${dead.error?.message}\n${later.logger.text().slice(-2000)}`
      )
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: liveKey, UploadId: live.UploadId }))
    } finally {
      store.destroy()
      s3.destroy()
    }
  }, 300_000)
})
