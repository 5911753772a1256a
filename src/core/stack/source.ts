// Where a value sits in the stack file, and how to show it in an error: the parsed YAML document's
// nodes by path (in the file's own spelling), their line and column, the value as the user wrote it.
import { isMap, isNode, isScalar, isSeq, Scalar, type Document, type LineCounter, type Node } from 'yaml'
import type { SourceLocation, StackPath } from './model.js'

/** The document's nodes and their positions, by path in the file's own spelling. */
export class SourceMap {
  readonly file: string
  readonly text: string
  readonly doc: Document
  private readonly lines: LineCounter

  constructor(file: string, text: string, doc: Document, lines: LineCounter) {
    this.file = file
    this.text = text
    this.doc = doc
    this.lines = lines
  }

  at(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(offset)
    return { file: this.file, line, column: col }
  }

  start(): SourceLocation {
    return { file: this.file, line: 1, column: 1 }
  }

  /** The node at `path`, or the deepest one on the way there; `key` when the path ends at a map key. */
  find(path: StackPath): { node: Node | undefined; key: Node | undefined; depth: number } {
    let node: unknown = this.doc.contents
    let key: Node | undefined
    let depth = 0
    for (const segment of path) {
      let next: unknown
      let nextKey: Node | undefined
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
        if (!pair) break
        next = pair.value
        nextKey = pair.key as Node
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment]
        if (next === undefined) break
      } else break
      depth++
      key = nextKey
      // `key:` with no value: the key is where the value would be.
      node = isNode(next) ? next : undefined
      if (node === undefined) break
    }
    return { node: isNode(node) ? node : undefined, key, depth }
  }

  /** The location of `path`, or of the nearest enclosing node that exists. */
  locate(path: StackPath, options: { key?: boolean } = {}): SourceLocation {
    const found = this.find(path)
    const whole = found.depth === path.length
    // A key with no value (`port:`) is located at its key.
    // So is an empty value (`EMPTY: ,` in a flow mapping), which YAML places at the next character.
    const empty = isScalar(found.node) && found.node.value === null && found.node.range?.[0] === found.node.range?.[1]
    const node = whole && (options.key === true || empty) ? (found.key ?? found.node) : (found.node ?? found.key)
    const offset = node?.range?.[0]
    return offset === undefined ? this.start() : this.at(offset)
  }

  /** The path of the deepest node that holds `offset`. */
  pathAt(offset: number): (string | number)[] {
    const path: (string | number)[] = []
    let node: unknown = this.doc.contents
    for (;;) {
      let next: unknown
      if (isMap(node)) {
        const pair = node.items.find((item) => contains(item.key, offset) || contains(item.value, offset))
        if (!pair || !isScalar(pair.key)) break
        const key = pair.key
        // A key YAML reads as a number or a boolean is shown as written (`0777`, not 777).
        path.push(typeof key.value === 'string' || !key.range ? String(key.value) : this.text.slice(key.range[0], key.range[1]))
        if (contains(pair.key, offset)) break
        next = pair.value
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => contains(item, offset))
        if (index < 0) break
        path.push(index)
        next = node.items[index]
      } else break
      node = next
    }
    return path
  }

  /** How the user wrote a value, to quote it in an error: plain scalars as written (`0777`, not 777). */
  shown(path: StackPath, value: unknown): string {
    const { node, depth } = this.find(path)
    if (depth === path.length && isScalar(node) && node.type === Scalar.PLAIN && typeof node.value !== 'string' && node.range) {
      const written = this.text.slice(node.range[0], node.range[1])
      if (/^[\x21-\x7e]{1,40}$/.test(written)) return written
    }
    return showValue(value)
  }
}

function contains(node: unknown, offset: number): boolean {
  return isNode(node) && node.range !== undefined && node.range !== null && node.range[0] <= offset && offset < Math.max(node.range[1], node.range[0] + 1)
}

/** `apps.uro.services[0]`; keys that are not plain words are quoted: `apps["a b"]`. */
export function formatPath(path: StackPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${showValue(segment)}]`
  }
  return text
}

const SHOWN_LENGTH = 60

/** A value quoted for an error line: strings in JSON quotes (so a newline cannot break the line), cut short. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return escapeInvisible(JSON.stringify(value.length > SHOWN_LENGTH ? `${value.slice(0, SHOWN_LENGTH - 3)}...` : value))
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  if (value === null) return 'an empty value'
  return String(value)
}

/**
 * JSON leaves some characters raw that still break or disguise a log line: DEL and the C1 controls,
 * the Unicode line and paragraph separators, and format characters such as bidirectional overrides.
 */
export function escapeInvisible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`)
}

/** Values under an app's `secrets` are never quoted: someone may have written the secret itself there. */
export function isUnderSecrets(path: StackPath): boolean {
  return path[0] === 'apps' && path[2] === 'secrets'
}

/** ` (did you mean uro-db?)` for a near miss, or nothing. */
export function suggestion(value: string, candidates: readonly string[]): string {
  const close = closest(value, candidates)
  return close === undefined ? '' : ` (did you mean ${close}?)`
}

/** The candidate a typo most likely meant: same letters ignoring case, `-` and `_`, or at most two edits away. */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  const normal = (s: string) => s.toLowerCase().replace(/[-_]/g, '')
  const same = candidates.find((c) => normal(c) === normal(value))
  if (same !== undefined) return same
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(value, candidate)
    if (distance <= 2 && distance < value.length && (!best || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length] as number
}

