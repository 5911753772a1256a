import type { SourceRef } from '../../core/backup/keys.js'
import type { StoreOptions } from '../../core/backup/pipeline.js'
import { DokkuClient, type ServicePlugins } from '../../core/dokku/client.js'
import type { Logger } from '../../core/log.js'
import { ObjectStore } from '../../core/s3/client.js'
import type { UploadOptions } from '../../core/s3/multipart.js'
import { connectSsh, type SshExecutor } from '../../core/ssh/connection.js'
import type { BackupConfig } from './inputs.js'

/** Knobs for tests and the benchmark; the action itself uses the defaults. */
export interface RunOptions {
  now?: () => Date
  upload?: Omit<UploadOptions, 'commitGate'>
  progressIntervalMs?: number
}

/** One row of the job summary and of the `backups` output. */
export interface TaskResult {
  source: string
  /** The backup the row is about. */
  id?: string
  outcome: string
  detail: string
  /**
   * The backup's data as stored in the destination (compressed, encrypted), without its manifest;
   * the same figure in every mode (CatalogEntry.storedBytes). For a bucket mirror: its index, since
   * the mirrored objects are shared between snapshots.
   */
  storedBytes?: number
  /** The data before compression and encryption, when the mode knows it (from the manifest). */
  plaintextBytes?: number
  durationMs?: number
  /** Seconds between the backup's start and now (verify: the recovery point). */
  ageSeconds?: number
  key?: string
  failed?: boolean
}

/**
 * What every mode works with: the destination bucket, the Dokku host (connected on first use only:
 * list, prune and plain verify never need it) and the source S3 store for buckets.
 */
export class Runtime {
  /** The run's settings; `actOn` narrows its sources to those the plan lets run. */
  config: BackupConfig
  readonly logger: Logger
  readonly store: ObjectStore
  readonly options: RunOptions
  private connection: Promise<SshExecutor> | undefined
  /** Aborted by close(): a connection still being opened is dropped instead of outliving the run. */
  private readonly ending = new AbortController()
  private client: Promise<DokkuClient> | undefined
  private plugins: Promise<ServicePlugins> | undefined
  private source: ObjectStore | undefined
  /** Buckets read with credentials found on the host (`seaweed:` sources), by bucket. */
  private readonly hostSources = new Map<string, ObjectStore>()

  constructor(config: BackupConfig, logger: Logger, options: RunOptions = {}) {
    this.config = config
    this.logger = logger
    this.options = options
    this.store = new ObjectStore(config.destination, { maxSockets: Math.max(32, config.concurrency * 2) })
  }

  now(): Date {
    return this.options.now?.() ?? new Date()
  }

  /** The SSH connection to the host, opened on first use. */
  host(): Promise<SshExecutor> {
    this.connection ??= connectSsh(this.config.ssh, { logger: this.logger, signal: this.ending.signal })
    return this.connection
  }

  /** The Dokku client, once `dokku version` has answered and the host is known to be supported. */
  dokku(): Promise<DokkuClient> {
    this.client ??= this.host().then((executor) => DokkuClient.create(executor, this.logger))
    return this.client
  }

  /**
   * postgres and redis commands as soon as the connection is up, without waiting for `dokku version`
   * (their arguments are the same on every supported Dokku): a dump starts one round trip sooner.
   * Whoever uses them must still await `dokku()` before calling anything complete.
   */
  services(): Promise<ServicePlugins> {
    this.plugins ??= this.host().then((executor) => DokkuClient.servicePlugins(executor, this.logger))
    return this.plugins
  }

  /** How this run stores an object: the destination, its compression and encryption, the upload knobs. */
  storing(key: string, extra: Partial<Omit<StoreOptions, 'store' | 'key'>> = {}): StoreOptions {
    return {
      store: this.store,
      key,
      compression: this.config.compression,
      encryption: this.config.encryption,
      ...(this.options.upload ? { upload: this.options.upload } : {}),
      ...extra
    }
  }

  /** The S3 store `bucket:` sources are read from and restored to. */
  sourceStore(bucket: string): ObjectStore {
    const fromHost = this.hostSources.get(bucket)
    if (fromHost) return fromHost
    const settings = this.config.sourceS3
    if (!settings) throw new Error('bucket: sources need the source-s3-* inputs')
    this.source ??= new ObjectStore({ ...settings, bucket }, { maxSockets: Math.max(32, this.config.concurrency * 2) })
    return this.source.bucket === bucket ? this.source : new ObjectStore({ ...settings, bucket }, { client: this.source.client })
  }

  /** Whether `bucket` is already read with credentials found on the host (observed before the plan). */
  hasHostSource(bucket: string): boolean {
    return this.hostSources.has(bucket)
  }

  /** From now on the mode runs over these sources only: the ones the plan did not find missing. */
  actOn(sources: readonly SourceRef[]): void {
    this.config = { ...this.config, sources: [...sources] }
  }

  /** Reads `bucket` through `store` from now on (a `seaweed:` source). */
  useSourceStore(bucket: string, store: ObjectStore): void {
    this.hostSources.get(bucket)?.destroy()
    this.hostSources.set(bucket, store)
  }

  /**
   * Ends what the run opened, also what was started beside a check that then failed (the
   * connection and `dokku version` opened while the bucket is checked): a connection still being
   * opened is abandoned, an open one is closed with the commands still running on it.
   */
  async close(): Promise<void> {
    this.ending.abort()
    const executor = await this.connection?.catch(() => undefined)
    await executor?.close()
    for (const store of this.hostSources.values()) store.destroy()
    this.store.destroy()
    this.source?.destroy()
  }
}
