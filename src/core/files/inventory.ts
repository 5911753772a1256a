// A file tree's inventory (path, size, SHA-256 of every regular file), computed where the files are
// — in a pod, in a storage container on the Dokku host — so that two trees are compared without
// a second copy of their bytes over the network. Pure: the script to run and the parsers.

/** One regular file: its path relative to the tree's root (no leading `./`), size and SHA-256. */
export interface FileEntry {
  readonly path: string
  readonly size: number
  readonly sha256: string
}

/**
 * `s=` the size of the file `$f`, for the BusyBox forms below: `stat -c %s` reads no byte of it;
 * BusyBox's `wc -c` reads the whole file (its wc.c dropped the stat shortcut on purpose), so it is
 * only the fallback for a BusyBox built without stat's format option.
 */
const SIZE_OF_F = `s=$(stat -c %s "$f" 2>/dev/null) || s=$(wc -c < "$f") || exit 1`

/**
 * A POSIX `sh -c` script (one line: Dokku's forced command carries no newlines) that lists every
 * regular file under `$1` as NUL-terminated records. NUL cannot occur in a path, so any name
 * parses: spaces, newlines, leading dashes (`find` prints every path with a leading `./`), any
 * bytes. The root is a positional argument, so the script stays constant.
 * - GNU (coreutils `sha256sum -z`, findutils `-printf`): `<size> ./<path>` records from one find,
 *   then `<sha256>  ./<path>` records from sha256sum over many files at once (`-z` turns its
 *   name escaping off).
 * - Otherwise (BusyBox: Alpine images, `storage:exec`'s default alpine:3): one `<sha256> <size>
 *   ./<path>` record per file, each hashed from stdin so that the name never reaches
 *   sha256sum's output (BusyBox does not escape names). Slower: three processes a file.
 */
export const INVENTORY_SCRIPT =
  `cd "$1" && if sha256sum -z /dev/null >/dev/null 2>&1 && find /dev/null -maxdepth 0 -printf '' >/dev/null 2>&1; then ` +
  `find . -type f -printf '%s %p\\0' && find . -type f -exec sha256sum -z {} +; else ` +
  `find . -type f -exec sh -c 'for f do h=$(sha256sum < "$f") || exit 1; ${SIZE_OF_F}; printf "%s %s %s\\0" "\${h%% *}" $s "$f"; done' sh {} +; fi`

/**
 * LISTING_SCRIPT: INVENTORY_SCRIPT without the SHA-256 — `<size> ./<path>` records, the sizes from
 * `find -printf` or `stat` (BusyBox): no file is read. For a tree whose files are all to be
 * copied anyway, where hashing it before the copy would be one more full read of every file.
 */
export const LISTING_SCRIPT =
  `cd "$1" && if find /dev/null -maxdepth 0 -printf '' >/dev/null 2>&1; then find . -type f -printf '%s %p\\0'; else ` +
  `find . -type f -exec sh -c 'for f do ${SIZE_OF_F}; printf "%s %s\\0" $s "$f"; done' sh {} +; fi`

/** `sh -c INVENTORY_SCRIPT sh <root>` (or LISTING_SCRIPT without `checksums`): the argv to run in a container. */
export function inventoryCommand(root: string, options: { checksums?: boolean } = {}): string[] {
  return ['sh', '-c', options.checksums === false ? LISTING_SCRIPT : INVENTORY_SCRIPT, 'sh', root]
}

/** Whether every entry of an inventory carries its SHA-256 (LISTING_SCRIPT's carry none). */
export function hasChecksums(files: ReadonlyMap<string, FileEntry>): boolean {
  for (const file of files.values()) if (file.sha256 === '') return false
  return true
}

export class InventoryParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InventoryParseError'
  }
}

/**
 * Parses INVENTORY_SCRIPT's output, either form (paths decoded as UTF-8, as the tar stream carries
 * them); with `checksums: false`, LISTING_SCRIPT's, whose entries have an empty `sha256`.
 */
export function parseInventory(output: Buffer | string, options: { checksums?: boolean } = {}): Map<string, FileEntry> {
  const text = typeof output === 'string' ? output : output.toString('utf8')
  const files = new Map<string, FileEntry>()
  if (text === '') return files
  if (!text.endsWith('\0')) throw new InventoryParseError('the file list was cut off (its last record has no terminator)')
  const sizes = new Map<string, number>()
  const sums = new Map<string, string>()
  for (const record of text.slice(0, -1).split('\0')) {
    const one = /^([0-9a-f]{64}) (\d+) \.\/(.+)$/s.exec(record)
    const sum = one ? null : /^([0-9a-f]{64}) {2}\.\/(.+)$/s.exec(record)
    const size = one || sum ? null : /^(\d+) \.\/(.+)$/s.exec(record)
    if (one) {
      sums.set(one[3] as string, one[1] as string)
      sizes.set(one[3] as string, Number(one[2]))
    } else if (sum) sums.set(sum[2] as string, sum[1] as string)
    else if (size) sizes.set(size[2] as string, Number(size[1]))
    else throw new InventoryParseError(`unexpected record in the file list: ${JSON.stringify(record.slice(0, 120))}`)
  }
  if (options.checksums === false) {
    if (sums.size > 0) throw new InventoryParseError('the file list has checksums where only names and sizes were asked for')
    for (const [path, size] of sizes) files.set(path, { path, size, sha256: '' })
    return files
  }
  for (const [path, sha256] of sums) {
    const size = sizes.get(path)
    if (size === undefined) throw new InventoryParseError(`the file list has a checksum but no size for ${JSON.stringify(path)}`)
    files.set(path, { path, size, sha256 })
  }
  if (sizes.size !== sums.size) throw new InventoryParseError(`the file list has ${sizes.size} sizes but ${sums.size} checksums (a file came or went while it was listed)`)
  return files
}

export interface InventoryDiff {
  /** In the source, absent from the target. */
  readonly missing: FileEntry[]
  /** In both, with other content. */
  readonly different: FileEntry[]
  /** Identical in both. */
  readonly same: FileEntry[]
  /** Only in the target (never deleted: reported). */
  readonly extra: FileEntry[]
}

export function diffInventories(source: ReadonlyMap<string, FileEntry>, target: ReadonlyMap<string, FileEntry>): InventoryDiff {
  const missing: FileEntry[] = []
  const different: FileEntry[] = []
  const same: FileEntry[] = []
  for (const file of source.values()) {
    const there = target.get(file.path)
    if (!there) missing.push(file)
    else if (there.sha256 !== file.sha256 || there.size !== file.size) different.push(file)
    else same.push(file)
  }
  const extra = [...target.values()].filter((file) => !source.has(file.path))
  return { missing, different, same, extra }
}

export function totalBytes(files: Iterable<FileEntry>): number {
  let n = 0
  for (const file of files) n += file.size
  return n
}

/**
 * Splits paths into batches whose argv stays well under what an exec request and a command line
 * take (kubectl sends exec argv in the request URL; Linux caps one argument at 128 KiB and the
 * whole argv at ~2 MiB).
 */
export function batchPaths(paths: readonly string[], maxBytes = 96 * 1024): string[][] {
  const batches: string[][] = []
  let current: string[] = []
  let size = 0
  for (const path of paths) {
    const cost = Buffer.byteLength(path) + 3
    if (current.length > 0 && size + cost > maxBytes) {
      batches.push(current)
      current = []
      size = 0
    }
    current.push(path)
    size += cost
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/**
 * What changed in a tree between two inventories of it (a source written to during a copy). A
 * `before` without checksums (LISTING_SCRIPT's) is compared by names and sizes only.
 */
export function describeChange(before: ReadonlyMap<string, FileEntry>, after: ReadonlyMap<string, FileEntry>): string | undefined {
  const comparable = hasChecksums(before) ? after : new Map([...after].map(([path, file]) => [path, { ...file, sha256: '' }]))
  const diff = diffInventories(comparable, before)
  const removed = diff.extra.length
  if (diff.missing.length + diff.different.length + removed === 0) return undefined
  return [
    diff.missing.length > 0 ? `${diff.missing.length} file(s) added` : '',
    diff.different.length > 0 ? `${diff.different.length} changed` : '',
    removed > 0 ? `${removed} removed` : ''
  ]
    .filter(Boolean)
    .join(', ')
}
