// The restore script's rules: which runner pg_restore may convert which backup, and how the script
// is adapted to the target's psql and held back until the archive is proven whole. The script's
// effect on a real database (commit whole or roll back) is in
// test/integration/backup-run/pg-restore-script.test.ts.
import { describe, expect, it } from 'vitest'
import { findPgRestore, hasTransactionTimeout, pgRestoreProblem, postgresMajor, ScriptStream, understandsRestrict, type PgRestoreTool } from '../../../src/core/backup/pg-restore-script.ts'

const tool = (version: string): PgRestoreTool => ({ binary: 'pg_restore', version, major: postgresMajor(version) as number })

describe('which pg_restore may convert a backup', () => {
  it('reads the major version as PostgreSQL writes it', () => {
    expect(postgresMajor('15.18 (Debian 15.18-0+deb12u1)')).toBe(15)
    expect(postgresMajor('18.4')).toBe(18)
    expect(postgresMajor('9.6.24')).toBe(9)
    expect(postgresMajor('devel')).toBeUndefined()
  })

  it('accepts the same or a newer major than the pg_dump that wrote the backup', () => {
    expect(pgRestoreProblem(tool('15.18'), '15.18 (Debian 15.18-0+deb12u1)')).toBeUndefined()
    expect(pgRestoreProblem(tool('18.1'), '15.3')).toBeUndefined()
    // A manifest without pg_dump's version: pg_restore itself judges (before the transaction begins).
    expect(pgRestoreProblem(tool('16.2'), undefined)).toBeUndefined()
  })

  it('refuses an older pg_restore, naming both versions and the package that fixes it', () => {
    const problem = pgRestoreProblem(tool('16.9 (Ubuntu 16.9-0ubuntu0.24.04.1)'), '18.4')
    expect(problem).toContain('pg_dump 18.4')
    expect(problem).toContain("runner's pg_restore (16.9 (Ubuntu 16.9-0ubuntu0.24.04.1))")
    expect(problem).toContain('apt-get install -y postgresql-client-18')
  })

  it('refuses when there is no pg_restore, or one too old to write a script to standard output', () => {
    expect(pgRestoreProblem(undefined, '17.2')).toMatch(/needs pg_restore.*none on PATH.*postgresql-client-17/)
    expect(pgRestoreProblem(tool('11.22'), undefined)).toMatch(/older than 12.*postgresql-client-12/)
  })

  it('finds the runner\'s pg_restore, and reports a missing one as missing', async () => {
    const found = await findPgRestore()
    expect(found?.major).toBeGreaterThanOrEqual(12)
    expect(found?.version).toMatch(/^\d+\.\d+/)
    expect(await findPgRestore('/nonexistent/pg_restore')).toBeUndefined()
  })
})

describe("the target's psql and server", () => {
  it('knows which releases have \\restrict (the August 2025 minors and 18)', () => {
    for (const [num, has] of [[180000, true], [170006, true], [170005, false], [160010, true], [160009, false], [150014, true], [150013, false], [140019, true], [130022, true], [130021, false], [120022, false]] as const)
      expect(understandsRestrict({ versionNum: num }), String(num)).toBe(has)
  })

  it('knows transaction_timeout from 17 on', () => {
    expect(hasTransactionTimeout({ versionNum: 170000 })).toBe(true)
    expect(hasTransactionTimeout({ versionNum: 160009 })).toBe(false)
  })
})

/** What pg_restore 17.6 --single-transaction writes, in miniature, with a COPY row that looks like a setting. */
const KEY = 'AbC123restrictKey'
const PG_RESTORE_OUTPUT = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  `\\restrict ${KEY}`,
  '',
  'BEGIN;',
  '',
  'SET statement_timeout = 0;',
  'SET transaction_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET row_security = off;',
  '',
  'DROP TABLE IF EXISTS public.t;',
  'CREATE TABLE public.t (line text);',
  'COPY public.t (line) FROM stdin;',
  'SET transaction_timeout = 0;',
  '\\.',
  '',
  'COMMIT;',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  `\\unrestrict ${KEY}`,
  ''
].join('\n')

async function scriptFor(versionNum: number, input: string, ready: Promise<void> = Promise.resolve(), chunk = 7): Promise<{ text: string; error: Error | undefined }> {
  const stream = new ScriptStream({ versionNum }, ready)
  const parts: Buffer[] = []
  stream.on('data', (part: Buffer) => parts.push(part))
  const finished = new Promise<Error | undefined>((resolve) => {
    stream.once('end', () => resolve(undefined))
    stream.once('error', resolve)
  })
  // Small writes: the opening lines arrive split anywhere.
  for (let at = 0; at < input.length; at += chunk) stream.write(Buffer.from(input.slice(at, at + chunk), 'latin1'))
  stream.end()
  const error = await finished
  return { text: Buffer.concat(parts).toString('latin1'), error }
}

describe('the script sent to psql', () => {
  it('sets ON_ERROR_STOP before anything else, keeps pg_restore\'s script whole for a current server, and ends with the commit marker', async () => {
    const stream = new ScriptStream({ versionNum: 180004 }, Promise.resolve())
    const { text, error } = await scriptFor(180004, PG_RESTORE_OUTPUT)
    expect(error).toBeUndefined()
    expect(text.startsWith('\\set ON_ERROR_STOP on\n')).toBe(true)
    expect(text).toContain(PG_RESTORE_OUTPUT)
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^SELECT 'dokku-stack restore committed [0-9a-f]{24}';$/)
    // A nonce per restore: nothing in a backup can print another run's marker.
    expect(stream.marker).not.toBe(new ScriptStream({ versionNum: 180004 }, Promise.resolve()).marker)
  })

  it('drops \\restrict and \\unrestrict for a psql that predates them, and transaction_timeout for a server before 17 — only among the opening settings', async () => {
    const { text } = await scriptFor(150013, PG_RESTORE_OUTPUT)
    expect(text).not.toContain('\\restrict')
    expect(text).not.toContain('\\unrestrict')
    // The setting is gone from the opening lines; the COPY row with the same text stays.
    expect(text.split('\n').filter((line) => line === 'SET transaction_timeout = 0;')).toHaveLength(1)
    expect(text).toContain('COPY public.t (line) FROM stdin;\nSET transaction_timeout = 0;\n\\.')
  })

  it('keeps \\restrict for 15.14 and later, and transaction_timeout for 17', async () => {
    const { text } = await scriptFor(170006, PG_RESTORE_OUTPUT)
    expect(text).toContain(`\\restrict ${KEY}\n`)
    expect(text).toContain(`\\unrestrict ${KEY}\n`)
    expect(text.split('\n').filter((line) => line === 'SET transaction_timeout = 0;')).toHaveLength(2)
  })

  it('never passes on the COMMIT of an archive that was not proven whole: the stream fails instead', async () => {
    // A long script: most of it flows before the archive's end is known.
    const rows = Array.from({ length: 20_000 }, (_, i) => `row ${i}`).join('\n')
    const long = PG_RESTORE_OUTPUT.replace('SET transaction_timeout = 0;\n\\.', `${rows}\n\\.`)
    const { text, error } = await scriptFor(180004, long, Promise.reject(new Error('Checksum mismatch: restored data')), 4096)
    expect(error?.message).toContain('Checksum mismatch')
    expect(text.length).toBeGreaterThan(64 * 1024)
    expect(text).not.toContain('COMMIT;')
    expect(text).not.toContain('dokku-stack restore committed')
  })

  it('passes a script without the fixed settings through unadapted (psql then stops before BEGIN)', async () => {
    const odd = PG_RESTORE_OUTPUT.replace('SET row_security = off;\n', '')
    const { text } = await scriptFor(150013, odd)
    expect(text).toContain(odd)
  })

  it('waits for the archive to be proven before the end of the script goes out', async () => {
    let prove!: () => void
    const proven = new Promise<void>((resolve) => (prove = resolve))
    const stream = new ScriptStream({ versionNum: 180004 }, proven)
    const parts: Buffer[] = []
    stream.on('data', (part: Buffer) => parts.push(part))
    stream.end(Buffer.from(PG_RESTORE_OUTPUT, 'latin1'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(Buffer.concat(parts).toString('latin1')).not.toContain('COMMIT;')
    expect(stream.commitReleased).toBe(false)
    prove()
    await new Promise((resolve) => stream.once('end', resolve))
    expect(Buffer.concat(parts).toString('latin1')).toContain('COMMIT;')
    expect(stream.commitReleased).toBe(true)
  })
})
