/**
 * `cockroach:<app>`: CockroachDB runs as a plain Dokku app made by dokku-service (there is no
 * dokku-cockroach plugin, docs/dokku-contract.md#cockroach-app), from one of two images, and backup-run backs up neither:
 * - Oxide's fork (`ghcr.io/v-sekai/cockroach`, the image Uro intends) is built OSS-only
 *   (`make cockroachoss`): the fork deleted `pkg/ccl/backupccl`, so `BACKUP` does not exist there
 *   (reference uro-and-services §3.3, cockroachdb#56683);
 * - upstream `cockroachdb/cockroach:v22.1.22` (dokku-service's default) has `BACKUP INTO 's3://…'`,
 *   but only with the destination's credentials inside SQL run on the Dokku host, which this action
 *   never does;
 * - `cockroach dump` was removed in 21.2, and pg_dump cannot read CockroachDB's catalog.
 * The source is accepted so that a run naming it says exactly this, for that source only.
 */
export class CockroachBackupUnsupportedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CockroachBackupUnsupportedError'
  }
}

export function cockroachUnsupported(app: string): CockroachBackupUnsupportedError {
  return new CockroachBackupUnsupportedError(
    `cockroach:${app} is not backed up: backup-run cannot stream a CockroachDB node, whichever image dokku-service runs. ` +
      "Oxide's fork (ghcr.io/v-sekai/cockroach, the image Uro intends) is built without BACKUP/RESTORE, `cockroach dump` no longer exists " +
      "and pg_dump cannot read CockroachDB; upstream's image (the default, cockroachdb/cockroach v22.1) has BACKUP INTO 's3://…', but only with " +
      'this destination\'s credentials inside SQL on the Dokku host, where backup-run never sends them. ' +
      'What works instead: (1) run the database on Postgres (dokku-service engine: postgres; Uro uses Ecto\'s Postgres adapter on both) and back it up here as postgres:<service>; ' +
      `(2) a cold copy, by hand and with downtime: \`dokku ps:stop ${app}\`, archive /var/lib/dokku/data/storage/${app}-data and /var/lib/dokku/data/storage/${app}-certs ` +
      `(the store and the node's certificates) and upload the archive, then \`dokku ps:start ${app}\`; ` +
      "(3) a logical export: `SHOW CREATE ALL TABLES` plus `cockroach sql --format=csv -e 'SELECT * FROM <table>'` per table, restored with `IMPORT INTO`/COPY. " +
      `The other sources of this run are backed up regardless; remove cockroach:${app} from sources to stop this error.`
  )
}
