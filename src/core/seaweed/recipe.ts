// SeaweedFS as a Dokku app (contract: docs/seaweedfs.md): everything here is pure —
// the image rules, the generated wrapper image, the names, config keys and policies the recipe
// derives from its inputs. The facts and where they come from:
// - `weed mini` is the image's default since 4.23; one process runs master, volume, filer and S3
//   (docs/seaweedfs.md#image, #mini);
// - the image runs as uid 1000 and chowns /data itself (docs/seaweedfs.md#image);
// - env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY make a static Admin identity (≥3.96, docs/seaweedfs.md#env-identity),
//   and an S3 gateway with no identity allows everything (docs/seaweedfs.md#auth-off): the admin key is set
//   before the first start;
// - IAM writes through the embedded IAM API need -s3.iam.readOnly=false (docs/seaweedfs.md#iam-api);
// - every flag given is saved to /data/mini.options and re-applied when later equal to its default
//   (docs/seaweedfs.md#mini-options): the wrapper removes that file before each start, so the CMD is the whole truth
//   (verify on a real host: the file also records the auto-sized volume limit, recomputed then).
import { createHash } from 'node:crypto'
import { parseImageReference } from '../services/image.js'

export const SEAWEED_DEFAULT_APP = 'seaweedfs'
/**
 * The default image: 4.48 (published 2026-09-28, after the 4.43 empty-folder race fix), pinned by its
 * multi-platform index digest so that a re-pushed tag can never change what runs. The reference read
 * `weed mini` at 4.44 (seaweedfs@cc8364a0); the digest is the one published projects pin for 4.48,
 * not one pulled from these machines (they reach no registry): check it with
 * `docker buildx imagetools inspect chrislusf/seaweedfs:4.48` before relying on it.
 */
export const SEAWEED_DEFAULT_IMAGE =
  'chrislusf/seaweedfs:4.48@sha256:4e61d15fd35994cb1e43e1e553dff106794841fd9a99ade2fc8c8bfce4d7872d'
/** Acknowledged uploads could be deleted by the empty-folder cleaner before this (docs/seaweedfs.md#min-version). */
export const SEAWEED_MIN_VERSION = { major: 4, minor: 43 } as const
export const SEAWEED_RACE =
  'SeaweedFS before 4.43 can delete an object it already acknowledged with 200, when the empty-folder cleaner races the upload (seaweedfs#10779, fixed by PR #10782/#10783 in 4.42 and PR #10799 in 4.43)'

export const SEAWEED_S3_PORT = 8333
export const SEAWEED_DATA_DIR = '/data'
export const SEAWEED_UID = 1000
export const SEAWEED_PROCESS = 'web'
/** Written into the wrapper's Dockerfile: what the wrapper is, for people and for the sandbox. */
export const SEAWEED_WRAPPER_LABEL = 'org.dokku-stack.seaweedfs-wrapper'

/** Config keys the recipe owns on the SeaweedFS app. */
export const SEAWEED_KEYS = {
  adminAccessKey: 'AWS_ACCESS_KEY_ID',
  adminSecretKey: 'AWS_SECRET_ACCESS_KEY',
  adminPassword: 'WEED_ADMIN_PASSWORD',
  backupAccessKey: 'DOKKU_STACK_BACKUP_ACCESS_KEY_ID',
  backupSecretKey: 'DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY',
  /** Where the runner reaches the store (backup-run's seaweed: sources read it). */
  endpoint: 'DOKKU_STACK_S3_ENDPOINT',
  /** sha256 of the wrapper tree last deployed: a changed image or flag set redeploys. */
  wrapper: 'DOKKU_STACK_SEAWEEDFS_WRAPPER'
} as const

/** The IAM user of the read-only backup identity. */
export const BACKUP_IDENTITY = 'dokku-stack-backup'

/** The variables an app gets (Uro's S3 fork reads these names, docs/seaweedfs.md#app-variables), before `env-names`. */
export const APP_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_S3_BUCKET', 'AWS_S3_ENDPOINT', 'AWS_REGION'] as const
export type AppVariable = (typeof APP_VARIABLES)[number]

export type AccessLevel = 'read' | 'readwrite'

export interface ImageChoice {
  /** What the wrapper's FROM line says: `repo:tag[@sha256:…]`. */
  reference: string
  version: { major: number; minor: number; patch: number }
  pinned: boolean
}

/** Why `reference` cannot be the SeaweedFS image, or the parsed choice. */
export function checkSeaweedImage(reference: string): { problem: string; fix: string } | ImageChoice {
  const fix = `Use ${SEAWEED_DEFAULT_IMAGE} or newer, pinned by digest: chrislusf/seaweedfs:VERSION@sha256:DIGEST.`
  const parsed = parseImageReference(reference)
  if (parsed?.tag === undefined) return { problem: 'must be an image reference with a version tag (repository:tag, optionally @sha256:DIGEST)', fix }
  const tag = parsed.tag
  const version = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:_large_disk|_full|_large_disk_full)?$/.exec(tag)
  if (!version) return { problem: `has the tag "${tag}", which is not a SeaweedFS version: a moving tag cannot be checked against the 4.43 data-loss fix, and Dokku does not redeploy an unchanged reference`, fix }
  const release = { major: Number(version[1]), minor: Number(version[2]), patch: Number(version[3] ?? 0) }
  if (release.major < SEAWEED_MIN_VERSION.major || (release.major === SEAWEED_MIN_VERSION.major && release.minor < SEAWEED_MIN_VERSION.minor))
    return { problem: `is SeaweedFS ${release.major}.${release.minor}, older than 4.43: ${SEAWEED_RACE}`, fix }
  return { reference, version: release, pinned: parsed.digest !== undefined }
}

/**
 * The `weed mini` command line of docs/seaweedfs.md#command: explicit -dir, every component
 * on all interfaces of the container, WebDAV/Iceberg/Lance and telemetry off, IAM writes
 * on (identities are managed live), and the admin UI only with a password (its auth is off without
 * one). The password itself travels as WEED_ADMIN_PASSWORD in the environment, never as a flag
 * (docs/seaweedfs.md#mini-options: flags land in mini.options in clear).
 */
export function seaweedCommand(options: { adminUi: boolean }): string[] {
  return [
    'mini',
    `-dir=${SEAWEED_DATA_DIR}`,
    '-ip.bind=0.0.0.0',
    '-webdav=false',
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-master.telemetry=false',
    '-s3.iam.readOnly=false',
    `-admin.ui=${options.adminUi ? 'true' : 'false'}`
  ]
}

export interface WrapperTree {
  /** Path → content, in a fixed order (the tar is built from it). */
  files: ReadonlyArray<{ path: string; content: string; mode: number }>
  /** sha256 over the files: equal trees deploy nothing new. */
  digest: string
}

/**
 * The generated wrapper image, delivered with `git:from-archive` from stdin: nothing has to exist in
 * a registry. A start script removes the sticky mini.options (docs/seaweedfs.md#mini-options) and hands over to the image's
 * own entrypoint, which chowns /data and drops to uid 1000.
 */
export function seaweedWrapper(image: string, options: { adminUi: boolean }): WrapperTree {
  const command = seaweedCommand(options)
  const start = [
    '#!/bin/sh',
    '# Generated by dokku-stack seaweed-provision: the command line below is the whole configuration.',
    'set -e',
    `rm -f ${SEAWEED_DATA_DIR}/mini.options`,
    'exec /entrypoint.sh "$@"',
    ''
  ].join('\n')
  const dockerfile = [
    `FROM ${image}`,
    `LABEL ${SEAWEED_WRAPPER_LABEL}="1"`,
    'COPY dokku-stack-start.sh /dokku-stack-start.sh',
    `EXPOSE ${SEAWEED_S3_PORT}`,
    'ENTRYPOINT ["/bin/sh", "/dokku-stack-start.sh"]',
    `CMD ${JSON.stringify(command)}`,
    ''
  ].join('\n')
  const files = [
    { path: 'Dockerfile', content: dockerfile, mode: 0o644 },
    { path: 'dokku-stack-start.sh', content: start, mode: 0o755 }
  ]
  const hash = createHash('sha256')
  for (const file of files) hash.update(`${file.path}\0${file.mode}\0${file.content}\0`)
  return { files, digest: hash.digest('hex') }
}

export interface SeaweedNames {
  app: string
  storage: string
  network: string
}

export function seaweedNames(app: string): SeaweedNames {
  return { app, storage: `${app}-data`, network: `${app}-net` }
}

/** The S3 endpoint apps on the store's network resolve: `<app>.web:8333` (docs/dokku-contract.md#network). */
export function internalEndpoint(app: string, tld = ''): string {
  const host = tld ? `${app}.${SEAWEED_PROCESS}.${tld.replace(/^\./, '')}` : `${app}.${SEAWEED_PROCESS}`
  return `http://${host}:${SEAWEED_S3_PORT}`
}

/** The IAM user name of an app's identity. */
export function identityName(app: string): string {
  return `app-${app}`
}

/**
 * The inline policy of an identity. The embedded IAM API turns `s3:Get*`/`s3:List*`/`s3:Put*` on
 * `arn:aws:s3:::<bucket>` and `…/<bucket>/*` into the identity actions `Read:<bucket>`,
 * `List:<bucket>`, `Write:<bucket>`, replacing what the user had (seaweedfs weed/s3api
 * s3api_embedded_iam.go getActions/PutUserPolicy; weed/iam MapToStatementAction). Write covers
 * deletes and multipart uploads.
 */
export function identityPolicy(buckets: readonly string[], access: AccessLevel): string {
  const actions = access === 'readwrite' ? ['s3:Get*', 's3:List*', 's3:Put*'] : ['s3:Get*', 's3:List*']
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: buckets.flatMap((b) => [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`]) }]
  })
}

/** The identity actions SeaweedFS stores for that policy, in a canonical order (to compare). */
export function identityActions(buckets: readonly string[], access: AccessLevel): string[] {
  const kinds = access === 'readwrite' ? ['Read', 'List', 'Write'] : ['Read', 'List']
  return canonicalActions(buckets.flatMap((b) => kinds.map((k) => `${k}:${b}`)))
}

export function canonicalActions(actions: readonly string[]): string[] {
  return [...new Set(actions)].sort()
}

/**
 * A POSIX ustar archive of small files (the wrapper tree), built in memory: what `git:from-archive`
 * reads from stdin. Fixed mtime and owner, so the same tree is the same bytes.
 */
export function tarArchive(files: WrapperTree['files']): Buffer {
  const blocks: Buffer[] = []
  for (const file of files) {
    const content = Buffer.from(file.content, 'utf8')
    const header = Buffer.alloc(512)
    const put = (text: string, offset: number, length: number) => header.write(text, offset, length, 'utf8')
    const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0')
    put(file.path, 0, 100)
    put(octal(file.mode, 8), 100, 8)
    put(octal(0, 8), 108, 8)
    put(octal(0, 8), 116, 8)
    put(octal(content.length, 12), 124, 12)
    put(octal(0, 12), 136, 12)
    header.fill(' ', 148, 156)
    put('0', 156, 1)
    put('ustar\u0000', 257, 6)
    put('00', 263, 2)
    let sum = 0
    for (const byte of header) sum += byte
    put(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8)
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}
