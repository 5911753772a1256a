// A Postgres restore that either commits whole or leaves the target as it was.
//
// `dokku postgres:import` runs `pg_restore -cO --if-exists -d DB` in the service's container,
// without --single-transaction (dokku-postgres functions:185-197): every DROP, CREATE and COPY
// commits on its own, so a restore stopped half-way leaves the tables dropped and half-refilled.
// Instead, the runner's own pg_restore turns the archive into one SQL script (`--file=-
// --single-transaction`: no database connection) and `dokku postgres:connect` feeds it to psql in
// the container (`docker exec -i`, `-t` only with a TTY; `psql -v ON_ERROR_STOP=1`,
// functions:13-21). Any error stops psql inside the transaction; a cut connection or a killed
// runner ends psql's input before the COMMIT, and the server rolls the open transaction back.
//
// The COMMIT is pg_restore's last statement. This stream holds back the end of the script (and
// with it the COMMIT) until the archive has ended — fetchStream ends it only once its size and
// SHA-256 matched the manifest — and pg_restore has exited 0; otherwise the stream fails and the
// SSH channel is closed without EOF. After the COMMIT a SELECT prints a marker with a nonce, so
// psql's output proves the commit ran (psql exits 0 at an early EOF too).
//
// Flags as postgres:import's: --clean --if-exists --no-owner (-cO). Large objects are restored
// as lo_open/lowrite calls in the same transaction.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream'

export const PG_RESTORE_SCRIPT_FLAGS = ['--file=-', '--clean', '--if-exists', '--no-owner', '--single-transaction'] as const

/** The runner's pg_restore, as `pg_restore --version` names it. */
export interface PgRestoreTool {
  binary: string
  /** e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  version: string
  major: number
}

/** The first number of a PostgreSQL version string (`15.18 (Debian …)` → 15, `9.6.24` → 9). */
export function postgresMajor(version: string): number | undefined {
  const match = /^\s*(\d+)/.exec(version)
  return match ? Number(match[1]) : undefined
}

/** `pg_restore --version` on the runner; undefined when there is no pg_restore on PATH. */
export async function findPgRestore(binary = 'pg_restore'): Promise<PgRestoreTool | undefined> {
  const child = spawn(binary, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  const [code] = (await once(child, 'close').catch(() => [null])) as [number | null]
  if (code !== 0) return undefined
  const version = /\(PostgreSQL\)\s+(.+)/.exec(out.trim())?.[1]?.trim()
  const major = version === undefined ? undefined : postgresMajor(version)
  return version === undefined || major === undefined ? undefined : { binary, version, major }
}

/** The oldest pg_restore whose `--file=-` means standard output. */
const OLDEST_PG_RESTORE = 12

/**
 * Why the runner cannot turn this backup into a script, with the fix; undefined when it can. The
 * rule is the one PostgreSQL documents for its dump tools: pg_restore reads archives of its own
 * major version and older. `pgDumpVersion` is the manifest's (the archive header's) when known.
 */
export function pgRestoreProblem(tool: PgRestoreTool | undefined, pgDumpVersion: string | undefined): string | undefined {
  const dumpMajor = pgDumpVersion === undefined ? undefined : postgresMajor(pgDumpVersion)
  const wanted = Math.max(dumpMajor ?? OLDEST_PG_RESTORE, OLDEST_PG_RESTORE)
  const install =
    `install PostgreSQL ${wanted}'s client tools on the runner before this step (Debian/Ubuntu: \`sudo apt-get install -y postgresql-client-${wanted}\`, ` +
    `from apt.postgresql.org where the distribution has no such package; if an older pg_restore still comes first, put /usr/lib/postgresql/${wanted}/bin first on PATH)`
  if (!tool) return `a Postgres restore needs pg_restore on the runner (it turns the backup into one transaction, so that a restore stopped half-way changes nothing), and there is none on PATH: ${install}.`
  if (tool.major < OLDEST_PG_RESTORE) return `the runner's pg_restore is ${tool.version}, older than ${OLDEST_PG_RESTORE}: ${install}.`
  if (dumpMajor !== undefined && tool.major < dumpMajor)
    return `this backup was written by pg_dump ${pgDumpVersion}, and the runner's pg_restore (${tool.version}) cannot read archives of a newer PostgreSQL: ${install}.`
  return undefined
}

/** What the target's psql and server accept, from `server_version_num` (psql runs from the server's image). */
export interface TargetServer {
  versionNum: number
}

/** psql's `\restrict` / `\unrestrict` exist from the August 2025 minor releases on (CVE-2025-8714). */
export function understandsRestrict(server: TargetServer): boolean {
  const major = Math.floor(server.versionNum / 10000)
  const minor = server.versionNum % 10000
  if (major >= 18) return true
  const first: Record<number, number> = { 17: 6, 16: 10, 15: 14, 14: 19, 13: 22 }
  return first[major] !== undefined && minor >= (first[major] as number)
}

/** `transaction_timeout` exists from PostgreSQL 17; pg_restore 17 and later set it unconditionally. */
export function hasTransactionTimeout(server: TargetServer): boolean {
  return server.versionNum >= 170000
}

/** The end of the script held back until the archive is proven whole: pg_restore writes < 200 bytes after its COMMIT. */
const HELD_BACK = 64 * 1024
/** The fixed settings pg_restore writes first end with this line (every version since 9.5). */
const LAST_FIXED_SETTING = 'SET row_security = off;'
/** How far the opening lines are read for those settings before the rest passes untouched. */
const HEAD_LIMIT = 64 * 1024

/**
 * pg_restore's script on its way to psql: our settings first, the opening lines adapted to the
 * target's psql and server, the end held back until `ready` resolves, then the commit marker.
 */
export class ScriptStream extends Transform {
  readonly marker: string
  /** True once the end of the script, with its COMMIT, has been passed on. */
  commitReleased = false
  private readonly server: TargetServer
  private readonly ready: Promise<void>
  private head: Buffer[] = []
  private headBytes = 0
  private headDone = false
  private tail: Buffer = Buffer.alloc(0)
  private restrictKey: string | undefined

  constructor(server: TargetServer, ready: Promise<void>) {
    super()
    this.server = server
    this.ready = ready
    // A nonce: no row of the backup can print it.
    this.marker = `dokku-stack restore committed ${randomBytes(12).toString('hex')}`
    // Before pg_restore's `\restrict`, after which psql takes no meta-command until `\unrestrict`.
    this.push(['\\set ON_ERROR_STOP on', '\\set QUIET on', '\\pset format unaligned', '\\pset tuples_only on', ''].join('\n'))
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.headDone) {
      this.head.push(chunk)
      this.headBytes += chunk.length
      const text = Buffer.concat(this.head).toString('latin1')
      const end = text.indexOf(`\n${LAST_FIXED_SETTING}\n`)
      if (end === -1 && this.headBytes < HEAD_LIMIT) return callback()
      // No fixed settings where pg_restore always writes them: nothing is adapted (psql then fails
      // before BEGIN on what it does not know, which changes nothing).
      const cut = end === -1 ? 0 : end + LAST_FIXED_SETTING.length + 2
      this.head = []
      this.headDone = true
      this.hold(Buffer.concat([Buffer.from(this.adaptHead(text.slice(0, cut)), 'latin1'), Buffer.from(text.slice(cut), 'latin1')]))
      return callback()
    }
    this.hold(chunk)
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (!this.headDone) {
      this.headDone = true
      this.hold(Buffer.concat(this.head))
    }
    this.ready.then(
      () => {
        let end = this.tail.toString('latin1')
        if (this.restrictKey !== undefined && !understandsRestrict(this.server)) end = end.split('\n').filter((line) => line !== `\\unrestrict ${this.restrictKey}`).join('\n')
        this.commitReleased = true
        this.push(Buffer.from(end, 'latin1'))
        this.push(`\nSELECT '${this.marker}';\n`)
        callback()
      },
      (error: Error) => callback(error)
    )
  }

  /** Passes on all but the last HELD_BACK bytes. */
  private hold(chunk: Buffer): void {
    const all = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk])
    if (all.length <= HELD_BACK) {
      this.tail = all
      return
    }
    this.push(all.subarray(0, all.length - HELD_BACK))
    this.tail = Buffer.from(all.subarray(all.length - HELD_BACK))
  }

  private adaptHead(text: string): string {
    return text
      .split('\n')
      .filter((line) => {
        const restrict = /^\\restrict (\S+)$/.exec(line)
        if (restrict) {
          this.restrictKey = restrict[1]
          return understandsRestrict(this.server)
        }
        return hasTransactionTimeout(this.server) || line !== 'SET transaction_timeout = 0;'
      })
      .join('\n')
  }
}

export interface SingleTransactionScript {
  /** What `postgres:connect` reads on stdin. */
  script: Readable
  /** Printed by psql only after the COMMIT ran. */
  marker: string
  /** Whether the COMMIT has gone out: until then, a failure leaves the target as it was. */
  commitSent(): boolean
  /** Resolves once pg_restore has exited 0; rejects with the archive's failure or pg_restore's error output otherwise. */
  converted: Promise<void>
  /** Stops pg_restore (after a failure elsewhere). */
  stop(): void
}

/**
 * Turns `archive` (a pg_dump custom-format stream that ends only once it is proven whole) into one
 * transaction for psql on `server`.
 */
export function singleTransactionScript(archive: Readable, tool: PgRestoreTool, server: TargetServer): SingleTransactionScript {
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(tool.binary, [...PG_RESTORE_SCRIPT_FLAGS], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)))
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null))
    child.once('close', (code) => resolve(code))
  })
  let archiveError: Error | undefined
  const converted = exited.then((code) => {
    // A failed archive (a checksum, the decryption) killed pg_restore: that failure is the cause.
    if (archiveError) throw archiveError
    if (code !== 0) throw new Error(`pg_restore ${tool.version} on the runner could not turn the backup into a script (exit ${code ?? 'error'}): ${stderr.trim() || 'no error output'}`)
  })
  const archiveEnded = once(archive, 'end').then(() => undefined)
  // Whichever fails first is reported; the other is a consequence.
  converted.catch(() => undefined)
  archiveEnded.catch(() => undefined)
  const ready = Promise.all([archiveEnded, converted]).then(() => undefined)
  // Awaited only if pg_restore's output ends; a restore stopped before that reports its own error.
  ready.catch(() => undefined)
  const script = new ScriptStream(server, ready)
  // The script can fail before its reader (the SSH channel, once open) listens; the failure
  // reaches the caller through `converted` then.
  script.on('error', () => undefined)
  // pg_restore may stop reading after the last data block (or on an error, which `converted`
  // reports): the rest of the archive is still read to its end, where its checksum is proven.
  const drain = (): void => {
    if (archive.readableEnded) return
    archive.unpipe(child.stdin)
    archive.resume()
  }
  child.stdin.on('error', drain)
  child.stdin.on('close', drain)
  archive.on('error', (error: Error) => {
    archiveError ??= error
    child.kill('SIGKILL')
    script.destroy(error)
  })
  archive.pipe(child.stdin)
  child.stdout.pipe(script)
  return {
    script,
    marker: script.marker,
    commitSent: () => script.commitReleased,
    converted,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }
}
