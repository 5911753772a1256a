/**
 * `cockroach:<app>`: CockroachDB runs as a plain Dokku app (there is no dokku-cockroach plugin,
 * contract §6). Uro runs Oxide's fork, built OSS-only (`make cockroachoss`): the fork deleted
 * `pkg/ccl/backupccl`, so `BACKUP` does not exist there (reference uro-and-services §3.3,
 * cockroachdb#56683), `cockroach dump` was removed in 21.2 and pg_dump cannot read CockroachDB's
 * catalog. Upstream's CCL binary has `BACKUP INTO 's3://…?AWS_ACCESS_KEY_ID=…'`, but that puts the
 * destination's credentials into SQL run on the Dokku host, which this action never does.
 * So this source fails, clearly, and says what works instead.
 */
export class CockroachBackupUnsupportedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CockroachBackupUnsupportedError'
  }
}

export function cockroachUnsupported(app: string): CockroachBackupUnsupportedError {
  return new CockroachBackupUnsupportedError(
    `cockroach:${app} cannot be backed up by streaming: Oxide's CockroachDB fork (the image Uro uses) is built without BACKUP/RESTORE ` +
      '(the CCL backup code is removed from the fork), `cockroach dump` no longer exists and pg_dump cannot read CockroachDB. ' +
      "Upstream CockroachDB's `BACKUP INTO 's3://…'` would need this destination's credentials inside SQL on the Dokku host, which backup-run never sends there. " +
      'What works instead: (1) move the app to Postgres (dokku-service: postgres) and back it up here as postgres:<service> — Uro runs on Postgres through Ecto; ' +
      `(2) a cold copy: \`dokku ps:stop ${app}\`, archive the app's storage directory (storage:list ${app}) and upload it, then \`dokku ps:start ${app}\`; ` +
      "(3) a logical export: `SHOW CREATE ALL TABLES` plus `cockroach sql --format=csv -e 'SELECT * FROM <table>'` per table, restored with `IMPORT INTO`/COPY. " +
      `Remove cockroach:${app} from sources until then.`
  )
}
