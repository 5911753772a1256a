import type { Readable, Writable } from 'node:stream'
import { DokkuArgumentError, DokkuFeatureUnavailableError } from '../errors.js'
import {
  STORAGE_ROOT,
  storageCreateArgv,
  storageDestroyArgv,
  storageListArgv,
  storageMountArgv,
  storageUnmountArgv,
  type StorageChown
} from '../forms.js'
import { mentions } from '../output.js'
import { parseStorageListJson, type StorageMount } from '../parse/storage.js'
import { CHANGED, checkApp, unchanged, type DokkuRunner, type Outcome } from '../runner.js'

/**
 * Persistent storage (docs/dokku-contract.md#storage, #cockroach-app), in the form the host's version expects: named entries
 * (`storage:create`, `storage:mount <app> <name> --container-dir`) from 0.38, a directory under
 * /var/lib/dokku/data/storage and `host:container` mounts before. Mounts apply on the next deploy
 * or `ps:restart` / `ps:rebuild`.
 */
export class StorageCommands {
  private readonly dokku: DokkuRunner
  constructor(dokku: DokkuRunner) {
    this.dokku = dokku
  }

  /** Creates the storage directory `name` (idempotent), owned as `chown` says (default `herokuish` = uid 32767). */
  async ensureDirectory(name: string, options: { chown?: StorageChown } = {}): Promise<void> {
    await this.dokku.runOk({ argv: storageCreateArgv(name, options.chown ?? 'herokuish', this.dokku.features) })
  }

  /**
   * Mounts storage `name` at `containerDir`. From 0.38 Dokku upserts the named mount (always exit 0);
   * before, a duplicate fails with "Mount path already exists." → `unchanged('exists')`.
   */
  async mount(app: string, name: string, containerDir: string): Promise<Outcome> {
    const invocation = { argv: storageMountArgv(checkApp(app), name, checkContainerDir(containerDir), this.dokku.features), app }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'Mount path already exists')) return unchanged('exists')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /**
   * Unmounts storage `name` from `containerDir`; `unchanged('absent')` when it was not mounted: the
   * legacy form says "Mount path does not exist." (docs/dokku-contract.md#storage-legacy); the 0.38 named form
   * (`storage:unmount <app> <entry> --container-dir p`, docs/dokku-contract.md#storage) says the entry "is not mounted" instead.
   */
  async unmount(app: string, name: string, containerDir: string): Promise<Outcome> {
    const invocation = { argv: storageUnmountArgv(checkApp(app), name, checkContainerDir(containerDir), this.dokku.features), app }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, /Mount path does not exist|is not mounted/)) return unchanged('absent')
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return CHANGED
  }

  /** The app's deploy-phase mounts (`storage:list <app> --format json`). */
  async list(app: string): Promise<StorageMount[]> {
    const result = await this.dokku.runOk({ argv: storageListArgv(checkApp(app)), app })
    return parseStorageListJson(result.stdout)
  }

  /**
   * `storage:destroy <name> [--force] [--destroy-host-dir]` (named entries, 0.38+; the flags only
   * where the host has them, see `storageDestroyArgv`): the entry must be unmounted from every app
   * first. `--destroy-host-dir` (0.38.27+) deletes the directory as well; `hostDirRemoved` says
   * whether this host could be asked to. `unchanged('absent')` when there is no such entry.
   */
  async destroy(name: string, options: { destroyHostDir?: boolean } = {}): Promise<Outcome & { readonly hostDirRemoved: boolean }> {
    const { argv, hostDir } = storageDestroyArgv(name, options, this.dokku.features)
    const invocation = { argv }
    const result = await this.dokku.run(invocation)
    if (result.code === 1 && mentions(result, 'does not exist')) return { ...unchanged('absent'), hostDirRemoved: false }
    if (result.code !== 0) throw this.dokku.failure(invocation, result)
    return { ...CHANGED, hostDirRemoved: hostDir }
  }

  /**
   * `storage:exec <name> --image <image> -- <command…>` (0.38+): runs the command in a throwaway
   * container that mounts the entry at `/data` (scheduler-docker-local storage_exec.go), as the
   * entry's chown user. Dokku forwards stdin only when it is a pipe (`stdinModes`: the SSH channel
   * without a pty). Resolves with the command's exit code, which Dokku passes through.
   */
  async exec(name: string, command: readonly string[], options: { image?: string; stdin?: Readable | string; stdout?: Writable; timeoutMs?: number } = {}): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    if (!this.dokku.features.namedStorage) throw new DokkuFeatureUnavailableError('`storage:exec`', '0.38.0', this.dokku.features.version.raw)
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new DokkuArgumentError(`"${name}" is not a storage entry name.`)
    const argv = ['storage:exec', name, '--image', options.image ?? 'alpine:3', '--', ...command]
    const result = await this.dokku.run({ argv, ...(options.stdin === undefined ? {} : { stdin: options.stdin }), ...(options.stdout ? { stdout: options.stdout } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) })
    if (result.code === 1 && mentions(result, /storage entry "[^"]*" does not exist|host path .* does not exist/)) throw this.dokku.failure({ argv }, result)
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr }
  }

  /** `storage:list-entries --format json` (0.38+): every named entry, by name, with its scheduler (Entry in plugins/storage/entry.go). */
  async entries(): Promise<Map<string, { scheduler: string; hostPath: string }>> {
    if (!this.dokku.features.namedStorage) throw new DokkuFeatureUnavailableError('`storage:list-entries`', '0.38.0', this.dokku.features.version.raw)
    const result = await this.dokku.runOk({ argv: ['storage:list-entries', '--format', 'json'] })
    const parsed = JSON.parse(result.stdout.trim() || '[]') as { name: string; scheduler?: string; host_path?: string }[] | null
    return new Map((parsed ?? []).map((e) => [e.name, { scheduler: e.scheduler || 'docker-local', hostPath: e.host_path ?? '' }]))
  }

  /** Creates storage `name` if needed and mounts it at `containerDir` unless it already is. */
  async ensureMount(app: string, name: string, containerDir: string, options: { chown?: StorageChown } = {}): Promise<Outcome> {
    await this.ensureDirectory(name, options)
    const mounts = await this.list(app)
    const present = mounts.some(
      (m) => (m.entryName === name || m.hostPath === `${STORAGE_ROOT}/${name}`) && m.containerPath === containerDir
    )
    if (present) return unchanged('up-to-date')
    return this.mount(app, name, containerDir)
  }
}

function checkContainerDir(dir: string): string {
  if (!dir.startsWith('/') || /[\s:]/.test(dir)) throw new DokkuArgumentError(`Container path "${dir}" must be absolute, without spaces or colons.`)
  return dir
}
