// The cluster backup-run mode migrate reads, stood in for by real parts: a source PostgreSQL database in the
// sandbox's cluster (hostile shapes: NUL bytes in bytea, control characters and every quote in
// text, the types Uro's schema uses, large objects), an uploads tree with odd names, a Secret,
// and the kubectl stand-in (test/support/kubectl-stand-in.ts) that serves them.
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INVENTORY_SCRIPT, inventoryCommand, LISTING_SCRIPT, parseInventory } from '../../../src/core/files/inventory.ts'
import { ObjectStore } from '../../../src/core/s3/client.ts'
import { repoRoot } from '../../support/actions.ts'
import type { StandInConfig } from '../../support/kubectl-stand-in.ts'
import { registerTestSecret } from '../../support/secret-registry.ts'
import { directS3, psql, sandbox, sandboxSshInputs, unique } from '../backup-run/helpers.ts'

export const DATABASE_POD = 'postgres-0'
export const UPLOADS_POD = 'deploy/uro-deployment'

/** The inputs every migrate step gives: the sandbox host over SSH, and the stand-in cluster. */
export function migrateInputs(cluster: Cluster, app: string): Record<string, string> {
  return {
    ...sandboxSshInputs(),
    kubeconfig: cluster.kubeconfig,
    kubectl: cluster.kubectl,
    mode: 'migrate',
    'k8s-namespace': 'uro',
    app
  }
}

export interface Cluster {
  dir: string
  /** The wrapper script to give as the kubectl input. */
  kubectl: string
  kubeconfig: string
  config: StandInConfig
  configPath: string
  sourceDb: string
  sourceUrl: string
  uploadsDir: string
  /** The Secret's values, decoded (for assertions only). */
  secretValues: Record<string, string>
  /** argv of every kubectl call so far. */
  calls(): string[][]
  /** Arms a one-shot fault (see StandInConfig.faults). */
  fault(fault: Omit<NonNullable<StandInConfig['faults']>[number], 'onceFile'>): void
}

export async function startCluster(options: { largeFileBytes: number }): Promise<Cluster> {
  const box = sandbox()
  const dir = await mkdtemp(join(tmpdir(), 'k8s-stand-in-'))
  const uploadsDir = join(dir, 'pod-uploads')
  makeUploads(uploadsDir, options.largeFileBytes)

  const sourceDb = unique('k8s_src').replace(/-/g, '_')
  await psql(box.postgresAdminUrl, `create database ${sourceDb}`)
  const sourceUrl = box.postgresAdminUrl.replace(/\/postgres$/, `/${sourceDb}`)
  await psql(sourceUrl, SOURCE_SCHEMA)

  const secretValues = {
    'secret-key-base': randomBytes(48).toString('base64url'),
    'sendgrid-api-key': `SG.${randomBytes(16).toString('hex')}`,
    'discord-client-id': '123456789012345678',
    'discord-client-secret': `d1sc0rd-${randomBytes(12).toString('hex')}`,
    pass: `db-pass-${randomBytes(8).toString('hex')}`
  }
  for (const [key, value] of Object.entries(secretValues)) {
    registerTestSecret(`k8s Secret ${key} (decoded)`, value)
    registerTestSecret(`k8s Secret ${key} (base64)`, Buffer.from(value).toString('base64'))
  }
  const kubeconfig = `apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: ${randomBytes(24).toString('hex')}\n`
  registerTestSecret('kubeconfig', kubeconfig)

  const u = new URL(box.postgresAdminUrl)
  const config: StandInConfig = {
    kubeconfig,
    namespace: 'uro',
    secrets: { 'uro-prod': { data: Object.fromEntries(Object.entries(secretValues).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } },
    pods: {
      [DATABASE_POD]: { paths: {}, env: { PGHOST: u.hostname, PGPORT: u.port, PGPASSWORD: decodeURIComponent(u.password) } },
      [UPLOADS_POD]: { paths: { '/app/uploads': uploadsDir }, env: {} }
    },
    log: join(dir, 'calls.jsonl'),
    faults: []
  }
  const configPath = join(dir, 'stand-in.json')
  const save = () => writeFileSync(configPath, JSON.stringify(config))
  save()
  writeFileSync(config.log, '')
  const kubectl = join(dir, 'kubectl')
  writeFileSync(kubectl, `#!/bin/sh\nKUBECTL_STAND_IN_CONFIG='${configPath}' exec '${process.execPath}' --no-warnings '${join(repoRoot, 'test/support/kubectl-stand-in.ts')}' "$@"\n`)
  chmodSync(kubectl, 0o755)
  let faults = 0
  return {
    dir,
    kubectl,
    kubeconfig,
    config,
    configPath,
    sourceDb,
    sourceUrl,
    uploadsDir,
    secretValues,
    calls: () =>
      readFileSync(config.log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    fault(fault) {
      const onceFile = join(dir, `fault-${faults++}`)
      writeFileSync(onceFile, '')
      config.faults = [...(config.faults ?? []), { ...fault, onceFile }]
      save()
    }
  }
}

/** Uro's column types (uuid keys, citext e-mail, timestamp(0), jsonb, arrays…) and hostile values. */
export const SOURCE_SCHEMA = `
create extension if not exists citext;
create table schema_migrations (version bigint primary key, inserted_at timestamp(0));
insert into schema_migrations values (20250318062426, '2025-03-18 06:24:26'), (20200101000000, '2020-01-01 00:00:00');
create table users (
  id uuid primary key, email citext not null unique, username varchar(255) not null, display_name text,
  is_admin boolean not null default false, email_notifications boolean, inserted_at timestamp(0) not null, updated_at timestamp(0) not null,
  confirmed_at timestamptz, profile jsonb, settings json, roles text[], last_ip inet, birthday date, karma bigint, score double precision, credit numeric(12,4), avatar bytea
);
insert into users select
  md5('u' || g)::uuid, 'user' || g || '@example.org', 'user_' || g,
  case g % 5 when 0 then E'quotes \\' " \` and \\\\ backslash' when 1 then E'ctl \\x01\\x02\\x07\\x1b[31m\\t\\r\\n' when 2 then 'ünïcödé 😀 中文' when 3 then E'\\\\.\\n\\\\N' else null end,
  g % 7 = 0, case when g % 2 = 0 then true end, timestamp '2021-01-01' + g * interval '1 hour', now()::timestamp(0),
  case when g % 3 = 0 then now() end, jsonb_build_object('n', g, 'tags', jsonb_build_array('a', E'b\\nc', null), 'quote', E'\\'"'),
  '{"raw": "json  kept   as typed"}', array['member', E'odd,role', 'with "quote"', null], ('10.0.' || (g % 250) || '.1')::inet, date '2000-01-01' + g, g::bigint * 1000000007, g / 3.0, g * 1.2345,
  decode(lpad(to_hex(g), 8, '0') || '00ff00', 'hex')
  from generate_series(1, 1500) g;
create table avatars (
  id uuid primary key, user_id uuid references users (id) on delete cascade, name text not null, description text,
  is_public boolean, shard bytea, inserted_at timestamp(0) not null
);
insert into avatars select md5('a' || g)::uuid, md5('u' || (1 + g % 1500))::uuid, 'avatar ' || g, repeat(E'desc\\t', g % 20), g % 2 = 0,
  case when g % 50 = 0 then decode(md5(g::text) || md5((g * 7)::text), 'hex') || '\\x0000000000'::bytea else '\\x00'::bytea end, now()::timestamp(0)
  from generate_series(1, 3000) g;
create table "Odd ""Table"" Name" ("select" int, "from" text);
insert into "Odd ""Table"" Name" values (1, 'a'), (2, E'b\\nc');
create table empty_table (id uuid primary key);
create table big_rows (id int primary key, body text, blob bytea);
insert into big_rows select g, repeat(md5(g::text), 20000), decode(repeat(md5((g + 1)::text), 8000), 'hex') from generate_series(1, 4) g;
select lo_from_bytea(0, '\\x00010203ff00'::bytea);
select lo_from_bytea(0, decode(repeat('00ff', 100000), 'hex'));
`

/** Odd names: spaces, Unicode, leading dashes, a newline, quotes, a 0-byte file, nested dirs, one large file. */
export function makeUploads(root: string, largeFileBytes: number): void {
  const files: [string, Buffer][] = [
    ['avatar 1.png', randomBytes(20_000)],
    ['-leading-dash.txt', Buffer.from('dash\n')],
    ['--help', Buffer.from('not an option\n')],
    ['empty', Buffer.alloc(0)],
    ['ünïcödé/файл 名前.glb', randomBytes(3_000)],
    ['quotes/it\'s "quoted" \\ here.txt', Buffer.from('q')],
    ['new\nline.bin', randomBytes(10)],
    ['deep/a/b/c/d/e.dat', randomBytes(70_000)],
    ['large.bin', randomBytes(largeFileBytes)]
  ]
  for (let i = 0; i < 40; i++) files.push([`many/file-${i}.bin`, randomBytes(1 + ((i * 997) % 8000))])
  for (const [path, content] of files) {
    const full = join(root, path)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, content)
  }
}

/** path → SHA-256 of every file under `root` (the pod's tree, or a storage entry on the host). */
export function treeSums(root: string): Map<string, string> {
  const out = execFileSync(inventoryCommand(root)[0] as string, inventoryCommand(root).slice(1))
  return new Map([...parseInventory(out).values()].map((f) => [f.path, f.sha256]))
}

/** path → SHA-256 of the object `prefix + path`, read back from the sandbox's S3 server, for each file of `tree` that has one. */
export async function bucketSums(bucket: string, prefix: string, tree: string): Promise<Map<string, string>> {
  const s3 = directS3()
  try {
    const sums = new Map<string, string>()
    for (const path of [...treeSums(tree).keys()]) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + path })).catch(() => undefined)
      if (!object) continue
      sums.set(path, createHash('sha256').update(Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).digest('hex'))
    }
    return sums
  } finally {
    s3.destroy()
  }
}

/** The multipart uploads in progress under `prefix`: their keys and ids. */
export async function pendingUploads(bucket: string, prefix: string): Promise<{ key: string; uploadId: string }[]> {
  const box = sandbox()
  const store = new ObjectStore({ endpoint: box.s3.endpoint, region: box.s3.region, bucket, accessKeyId: box.s3.accessKeyId, secretAccessKey: box.s3.secretAccessKey })
  try {
    const all: { key: string; uploadId: string }[] = []
    for await (const upload of store.listMultipartUploads(prefix)) all.push({ key: upload.key, uploadId: upload.uploadId })
    return all
  } finally {
    store.destroy()
  }
}

/** What the kubectl calls since call `from` asked the uploads pod: a listing, an inventory (hashed) or a tar. */
export function podCalls(cluster: Cluster, from: number): string[] {
  return cluster
    .calls()
    .slice(from)
    .filter((argv) => argv.includes(UPLOADS_POD))
    .map((argv) => (argv.includes(LISTING_SCRIPT) ? 'listing' : argv.includes(INVENTORY_SCRIPT) ? 'inventory' : argv.includes('tar') ? 'tar' : argv.join(' ')))
}

/**
 * Arms a writer that rewrites the pod's `name` with other bytes of the same size once the next
 * `tar` has read it; the returned function puts the original back.
 */
export function rewriteAtSameSizeAfterTar(cluster: Cluster, name: string): () => void {
  const victim = join(cluster.uploadsDir, name)
  const original = readFileSync(victim)
  const rewrite = join(cluster.uploadsDir, '..', `rewrite-${cluster.calls().length}.bin`)
  writeFileSync(rewrite, Buffer.alloc(original.length, 'x'))
  cluster.fault({ command: 'tar', kind: 'mutate', shell: `cp '${rewrite}' '${victim}'` })
  return () => writeFileSync(victim, original)
}
