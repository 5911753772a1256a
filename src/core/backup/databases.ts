// What the backup needs to know about the data it carries, read with what the Dokku plugins
// offer: exact row counts through `postgres:connect` (SQL on stdin, docs/dokku-contract.md#service-export-import; restores are
// checked with them), Redis `INFO` through `redis:connect`. Pure functions: building the scripts
// and parsing what comes back. The pg_dump archive itself is read in pg-archive.ts.
import type { TableCount } from './manifest.js'

const MARK = 'dokku-stack'

/**
 * psql script for `postgres:connect`: the server version and an exact `count(*)` of every user
 * table, all in one REPEATABLE READ snapshot. Names come back as JSON strings (any character is
 * safe) on lines that carry a marker, so psql's own chatter is ignored.
 */
export function rowCountScript(): string {
  return [
    '\\pset format unaligned',
    '\\pset tuples_only on',
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
    `SELECT '${MARK}-version' || chr(9) || current_setting('server_version');`,
    `SELECT '${MARK}-table' || chr(9) || to_json(n.nspname::text)::text || chr(9) || to_json(c.relname::text)::text || chr(9) ||`,
    `  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text`,
    'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace',
    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'",
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')",
    'ORDER BY n.nspname, c.relname;',
    'COMMIT;',
    ''
  ].join('\n')
}

export interface RowCounts {
  serverVersion: string | undefined
  tables: TableCount[]
}

export function parseRowCounts(output: string): RowCounts {
  let serverVersion: string | undefined
  const tables: TableCount[] = []
  for (const line of output.split('\n')) {
    const fields = line.replace(/\r$/, '').split('\t')
    if (fields[0] === `${MARK}-version`) serverVersion = fields[1]
    if (fields[0] === `${MARK}-table` && fields.length === 4) {
      tables.push({ schema: JSON.parse(fields[1] as string) as string, name: JSON.parse(fields[2] as string) as string, rows: Number(fields[3]) })
    }
  }
  return { serverVersion, tables }
}

/** psql script: how many user relations the database has (0 = empty, safe to restore into). */
export function relationCountScript(): string {
  return [
    '\\pset format unaligned',
    '\\pset tuples_only on',
    `SELECT '${MARK}-relations' || chr(9) || count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace`,
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%';",
    ''
  ].join('\n')
}

export function parseRelationCount(output: string): number {
  const line = output.split('\n').find((l) => l.startsWith(`${MARK}-relations\t`))
  if (!line) throw new Error(`postgres:connect did not answer the relation count (got ${JSON.stringify(output.slice(0, 200))})`)
  return Number(line.split('\t')[1])
}

/** psql script: the server's `server_version_num` (e.g. 150018), which says what its psql and SQL accept. */
export function serverVersionScript(): string {
  return ['\\pset format unaligned', '\\pset tuples_only on', `SELECT '${MARK}-version-num' || chr(9) || current_setting('server_version_num');`, ''].join('\n')
}

export function parseServerVersionNum(output: string): number {
  const line = output.split('\n').find((l) => l.startsWith(`${MARK}-version-num\t`))
  const value = Number(line?.split('\t')[1]?.trim())
  if (!line || !Number.isSafeInteger(value) || value <= 0) throw new Error(`postgres:connect did not answer the server version (got ${JSON.stringify(output.slice(0, 200))})`)
  return value
}

/** Compares restored counts with the manifest's; returns one line per difference. */
export function compareTableCounts(expected: readonly TableCount[], actual: readonly TableCount[]): string[] {
  const name = (t: TableCount) => `${t.schema}.${t.name}`
  const got = new Map(actual.map((t) => [name(t), t.rows]))
  const differences: string[] = []
  for (const table of expected) {
    const rows = got.get(name(table))
    if (rows === undefined) differences.push(`${name(table)}: missing after restore (backup has ${table.rows} rows)`)
    else if (rows !== table.rows) differences.push(`${name(table)}: ${rows} rows after restore, ${table.rows} in the backup`)
  }
  const known = new Set(expected.map(name))
  for (const table of actual) if (!known.has(name(table))) differences.push(`${name(table)}: present after restore but not in the backup's counts`)
  return differences
}

/** `REDIS0011`: the RDB magic and version; throws for anything else. */
export function checkRdbHeader(head: Buffer): string {
  const text = head.subarray(0, 9).toString('latin1')
  if (!/^REDIS\d{4}$/.test(text)) throw new Error(`redis:export did not produce an RDB snapshot (it starts with ${JSON.stringify(head.subarray(0, 40).toString('utf8'))})`)
  return text.slice(5)
}

export const REDIS_INFO_SCRIPT = 'INFO server\nINFO keyspace\n'

/** What `redis:connect` is given to read the state of the server's snapshots. */
export const REDIS_PERSISTENCE_SCRIPT = 'INFO persistence\n'

/**
 * The failure of the last BGSAVE, from `INFO persistence` output, once no other is running; undefined
 * while one runs or when the last succeeded. redis:export asks for a BGSAVE and then waits for
 * LASTSAVE to change, which a failed BGSAVE (a full disk, a read-only directory) never does.
 */
export function snapshotFailure(output: string): string | undefined {
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(output.replace(/\r/g, ''))?.[1]
  if (field('rdb_bgsave_in_progress') !== '0') return undefined
  return field('rdb_last_bgsave_status') === 'err' ? 'rdb_last_bgsave_status:err' : undefined
}

/** `redis_version` and keys per database from `INFO server` + `INFO keyspace` output. */
export function parseRedisInfo(output: string): { version: string | undefined; keyspace: Record<string, number> } {
  const keyspace: Record<string, number> = {}
  let version: string | undefined
  for (const raw of output.split('\n')) {
    const line = raw.trim()
    const v = /^redis_version:(\S+)$/.exec(line)
    if (v) version = v[1]
    const k = /^(db\d+):keys=(\d+)/.exec(line)
    if (k) keyspace[k[1] as string] = Number(k[2])
  }
  return { version, keyspace }
}

export function totalKeys(keyspace: Record<string, number>): number {
  return Object.values(keyspace).reduce((a, b) => a + b, 0)
}
