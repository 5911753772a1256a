// The single-transaction restore script against real psql and PostgreSQL behind the simulated
// `postgres:connect`: whole, it replaces the target's data and prints the commit marker; cut
// anywhere before its end (what psql sees when the runner is killed or the connection drops), it
// leaves the target exactly as it was and prints no marker; an archive that fails its checksum
// never gets its COMMIT sent; an archive the runner's pg_restore cannot read sends nothing at all.
import { Readable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseServerVersionNum, serverVersionScript } from '../../../src/core/backup/databases.ts'
import { findPgRestore, singleTransactionScript, type PgRestoreTool, type TargetServer } from '../../../src/core/backup/pg-restore-script.ts'
import { dokku, plainDump, psql, sandbox, unique } from './helpers.ts'

const source = unique('scriptsrc').replace(/-/g, '_')
const target = unique('scriptdst').replace(/-/g, '_')
let archive: Buffer
let tool: PgRestoreTool
let server: TargetServer
let targetUrl: string
let before: string

/** The target's whole content (schema and rows, large objects included), as pg_dump prints it. */
const content = () => plainDump(targetUrl)

beforeAll(async () => {
  for (const service of [source, target]) expect((await dokku(`postgres:create ${service}`)).code).toBe(0)
  await psql(
    await sandbox().realPostgresUrl(source),
    `create table big (id int primary key, payload text);
     insert into big select g, md5(g::text) || E'\\ttab and \\\\ backslash' from generate_series(1, 20000) g;
     create sequence counter; select setval('counter', 42);
     select lo_from_bytea(0, 'a large object'::bytea);`
  )
  const exported = await sandbox().ssh('dokku', `postgres:export ${source}`)
  expect(exported.code).toBe(0)
  archive = exported.stdoutBuffer
  targetUrl = await sandbox().realPostgresUrl(target)
  await psql(targetUrl, `create table big (id int primary key, payload text); insert into big select g, 'old' from generate_series(1, 100) g; create table only_before (x int);`)
  before = await content()
  tool = (await findPgRestore()) as PgRestoreTool
  server = { versionNum: parseServerVersionNum((await dokku(`postgres:connect ${target}`, serverVersionScript())).stdout) }
}, 120_000)

interface Converted {
  script: Buffer
  marker: string
  /** The script stream's error, if it failed. */
  failed: Error | undefined
  converted: Error | undefined
}

async function convert(input: Readable): Promise<Converted> {
  const restore = singleTransactionScript(input, tool, server)
  const parts: Buffer[] = []
  restore.script.on('data', (part: Buffer) => parts.push(part))
  const failed = await new Promise<Error | undefined>((resolve) => {
    restore.script.once('end', () => resolve(undefined))
    restore.script.once('error', resolve)
  })
  const converted = await restore.converted.then(
    () => undefined,
    (error: Error) => error
  )
  restore.stop()
  return { script: Buffer.concat(parts), marker: restore.marker, failed, converted }
}

async function connect(script: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return sandbox().ssh('dokku', `postgres:connect ${target}`, { stdin: script, timeoutMs: 120_000 })
}

describe('the single-transaction restore script', () => {
  let whole: Converted

  it('is converted on the runner from the archive postgres:export wrote', async () => {
    whole = await convert(Readable.from([archive]))
    expect(whole.failed).toBeUndefined()
    expect(whole.converted).toBeUndefined()
    expect(whole.script.toString('utf8')).toMatch(/^\\set ON_ERROR_STOP on\n/)
    expect(whole.script.toString('utf8')).toContain('\nBEGIN;\n')
    expect(whole.script.toString('utf8')).toContain('\nCOMMIT;\n')
  }, 60_000)

  it('cut anywhere before its end, leaves the target exactly as it was and prints no commit marker', async () => {
    const text = whole.script.toString('latin1')
    const at = (needle: string) => text.indexOf(needle)
    const cuts = [
      at('\nBEGIN;\n') + 3,
      at('DROP TABLE IF EXISTS public.big;') + 40,
      at('COPY public.big'),
      at('COPY public.big') + 50_000,
      at('COPY public.big') + 400_000,
      at('lowrite'),
      at('\nCOMMIT;\n'),
      at('\nCOMMIT;\n') + 5
    ]
    for (const cut of cuts) expect(cut, 'a cut point not found in the script').toBeGreaterThan(10)
    const outcomes: string[] = []
    for (const cut of cuts) {
      const result = await connect(whole.script.subarray(0, cut))
      const same = (await content()) === before
      outcomes.push(`cut at ${cut} of ${whole.script.length}: exit ${result.code}, marker ${result.stdout.includes(whole.marker) ? 'printed' : 'absent'}, target ${same ? 'untouched' : 'CHANGED'}`)
    }
    expect(outcomes.filter((line) => !line.endsWith('marker absent, target untouched')), outcomes.join('\n')).toEqual([])
  }, 240_000)

  it('whole, replaces the target\'s data with the backup\'s and prints the commit marker', async () => {
    const result = await connect(whole.script)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.split('\n').map((line) => line.trim())).toContain(whole.marker)
    const restored = `select (select count(*) || ':' || md5(string_agg(id || '=' || payload, ',' order by id)) from big)
      || ' ' || (select last_value from counter) || ' ' || (select string_agg(convert_from(lo_get(oid), 'UTF8'), ',') from pg_largeobject_metadata)`
    expect(await psql(targetUrl, restored)).toBe(await psql(await sandbox().realPostgresUrl(source), restored))
    // As with postgres:import (pg_restore --clean): what the backup does not hold is not dropped.
    expect((await psql(targetUrl, `select to_regclass('public.only_before') is not null`)).trim()).toBe('t')
  }, 120_000)

  it('from an archive whose checksum fails at its very end, never carries the COMMIT', async () => {
    const failing = new Readable({ read() {} })
    failing.push(archive)
    setImmediate(() => failing.destroy(new Error('Checksum mismatch: restored data of the backup')))
    const converted = await convert(failing)
    expect(converted.failed?.message).toContain('Checksum mismatch')
    const text = converted.script.toString('latin1')
    expect(text).not.toContain('\nCOMMIT;')
    expect(text).not.toContain(converted.marker)
  }, 60_000)

  it('from an archive that fails at once, before anything reads the script, reports that failure and throws nothing unhandled', async () => {
    const failing = new Readable({ read() {} })
    const restore = singleTransactionScript(failing, tool, server)
    failing.destroy(new Error("no identity matched any of the file's recipients"))
    const error = await restore.converted.then(
      () => undefined,
      (e: Error) => e
    )
    restore.stop()
    expect(error?.message).toBe("no identity matched any of the file's recipients")
    expect(restore.commitSent()).toBe(false)
  }, 60_000)

  it('from an archive the runner\'s pg_restore cannot read, sends nothing past the opening settings', async () => {
    // The header's version bytes (after "PGDMP") as a pg_dump from the future would write them.
    const future = Buffer.from(archive)
    future[5] = 1
    future[6] = 99
    const converted = await convert(Readable.from([future]))
    expect(converted.converted?.message).toMatch(/pg_restore .* could not turn the backup into a script .*unsupported version \(1\.99\)/s)
    expect(converted.failed).toBeDefined()
    expect(converted.script.toString('latin1')).not.toContain('BEGIN')
  }, 60_000)
})
