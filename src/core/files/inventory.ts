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
 * A POSIX `sh -c` script (one line: Dokku's forced command carries no newlines) that prints one
 * NUL-terminated record per regular file under `$1`: `<sha256> <size> <path>`. Each file is hashed
 * from stdin, so the name is never part of sha256sum's output (GNU escapes odd names there,
 * BusyBox does not); NUL cannot occur in a path, so any name parses: spaces, newlines, leading
 * dashes (`find` prints every path with a leading `./`), any bytes. Runs on GNU and BusyBox.
 * The root is a positional argument, not part of the script, so that the script stays constant.
 */
export const INVENTORY_SCRIPT =
  `cd "$1" && find . -type f -exec sh -c 'for f do h=$(sha256sum < "$f") || exit 1; s=$(wc -c < "$f") || exit 1; printf "%s %s %s\\0" "\${h%% *}" $s "$f"; done' sh {} +`

/** `sh -c INVENTORY_SCRIPT sh <root>`: the argv to run in a container. */
export function inventoryCommand(root: string): string[] {
  return ['sh', '-c', INVENTORY_SCRIPT, 'sh', root]
}

export class InventoryParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InventoryParseError'
  }
}

/** Parses INVENTORY_SCRIPT's output (paths decoded as UTF-8, as the tar stream carries them). */
export function parseInventory(output: Buffer | string): Map<string, FileEntry> {
  const text = typeof output === 'string' ? output : output.toString('utf8')
  const files = new Map<string, FileEntry>()
  if (text === '') return files
  if (!text.endsWith('\0')) throw new InventoryParseError('the file list was cut off (its last record has no terminator)')
  for (const record of text.slice(0, -1).split('\0')) {
    const match = /^([0-9a-f]{64}) (\d+) \.\/(.+)$/s.exec(record)
    if (!match) throw new InventoryParseError(`unexpected record in the file list: ${JSON.stringify(record.slice(0, 120))}`)
    const path = match[3] as string
    files.set(path, { path, size: Number(match[2]), sha256: match[1] as string })
  }
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

/** What changed in a tree between two inventories of it (a source written to during a copy). */
export function describeChange(before: ReadonlyMap<string, FileEntry>, after: ReadonlyMap<string, FileEntry>): string | undefined {
  const diff = diffInventories(after, before)
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
