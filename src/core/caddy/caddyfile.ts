// The Caddyfile that caddy-docker-proxy (CDP, the image Dokku's caddy plugin runs) generates from
// container labels, rebuilt here so that it can be checked before anything changes on a host.
// The rules follow CDP v2.13 (`caddyfile/{fromlabels,marshal,merge,processor}.go`, read for facts
// only) and its fixtures; contract: docs/caddy.md#label-syntax, #sort, #merge, #invalid-block.

/**
 * One Caddyfile element: global options (no keys), a snippet `(name)`, a site, a matcher `@name`,
 * a directive or a subdirective. Rendered as its keys on one line, then its children in braces.
 */
export interface Block {
  keys: string[]
  /** From an `N_` label prefix; unordered blocks sort after every ordered one. */
  order: number
  children: Block[]
}

export const UNORDERED = Number.MAX_SAFE_INTEGER

export function block(keys: string[], children: Block[] = [], order = UNORDERED): Block {
  return { keys, order, children }
}

export function isGlobalBlock(b: Block): boolean {
  return b.keys.length === 0
}

function isSnippet(b: Block): boolean {
  return b.keys.length === 1 && (b.keys[0] as string).startsWith('(') && (b.keys[0] as string).endsWith(')')
}

function isMatcherBlock(b: Block): boolean {
  return b.keys.length > 0 && (b.keys[0] as string).startsWith('@')
}

// ---- labels → blocks -----------------------------------------------------------------------------

/** `[parent.][N_]name[_N]`: `N_` orders a block, `_N` keeps same-named blocks apart. */
const LABEL_PATH = /^(?:(.+)\.)?(?:(\d+)_)?([^.]+?)(?:_(\d+))?$/
const ESCAPED_DOT = '\u0000'

/** The value of `{{ upstreams … }}` for one label set: the container's addresses on Caddy's network. */
export type UpstreamResolver = (options: { protocol: string | undefined; port: number | undefined }) => string[]

/** A label value the renderer cannot evaluate the way CDP's Go templates would. */
export class LabelTemplateError extends Error {
  readonly label: string
  readonly value: string
  constructor(label: string, value: string, detail: string) {
    super(`label ${label}=${value}: ${detail}`)
    this.name = 'LabelTemplateError'
    this.label = label
    this.value = value
  }
}

/**
 * Builds the blocks of one container's labels (the `caddy` prefix already canonical). Label order
 * does not matter: CDP reads a map, and sorts when it writes.
 */
export function blocksFromLabels(labels: Readonly<Record<string, string>>, upstreams: UpstreamResolver): Block[] {
  const root: Block[] = []
  const byPath = new Map<string, Block>()
  const getOrCreate = (path: string): Block => {
    const existing = byPath.get(path)
    if (existing) return existing
    const match = LABEL_PATH.exec(path.replaceAll('\\.', ESCAPED_DOT)) as RegExpExecArray
    const parentPath = (match[1] ?? '').replaceAll(ESCAPED_DOT, '\\.')
    const name = (match[3] as string).replaceAll(ESCAPED_DOT, '.')
    const created = block([], [], match[2] === undefined ? UNORDERED : Number(match[2]))
    if (parentPath !== '') {
      created.keys.push(name)
      getOrCreate(parentPath).children.push(created)
    } else root.push(created)
    byPath.set(path, created)
    return created
  }
  for (const label of Object.keys(labels).sort()) {
    const value = labels[label] as string
    getOrCreate(label).keys.push(...tokenize(expandTemplate(label, value, upstreams)))
  }
  return root
}

const TEMPLATE = /\{\{-?\s*(.*?)\s*-?\}\}/g
const PROTOCOL_FUNCS = new Set(['http', 'https', 'h2c'])

/**
 * CDP runs every value through Go `text/template`; the only function Dokku's labels use is
 * `upstreams [protocol] [port]`. Anything else is refused rather than guessed.
 */
function expandTemplate(label: string, value: string, upstreams: UpstreamResolver): string {
  if (!value.includes('{{')) return value
  return value.replace(TEMPLATE, (_whole, body: string) => {
    const words = body.split(/\s+/).filter((w) => w !== '')
    if (words[0] !== 'upstreams') throw new LabelTemplateError(label, value, `only {{upstreams [http|https|h2c] [PORT]}} can be checked before deploy, not {{${body}}}`)
    let protocol: string | undefined
    let port: number | undefined
    for (const word of words.slice(1)) {
      const unquoted = /^"(.*)"$/.exec(word)?.[1]
      if (PROTOCOL_FUNCS.has(word) || unquoted !== undefined) protocol = unquoted ?? word
      else if (/^\d{1,5}$/.test(word)) port = Number(word)
      else throw new LabelTemplateError(label, value, `"${word}" is not a protocol or a port in {{${body}}}`)
    }
    return upstreams({ protocol, port }).join(' ')
  })
}

/**
 * Splits a value into Caddyfile tokens like Caddy's lexer: whitespace separates, "double quotes"
 * (with \" escapes) and `backticks` group; quotes inside a word are kept literally.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = []
  let i = 0
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++
    if (i >= text.length) break
    let token = ''
    const quote = text[i] === '"' || text[i] === '`' ? (text[i] as string) : undefined
    if (quote) {
      i++
      while (i < text.length && text[i] !== quote) {
        if (quote === '"' && text[i] === '\\' && text[i + 1] === '"') {
          token += '"'
          i += 2
          continue
        }
        token += text[i]
        i++
      }
      i++
    } else {
      while (i < text.length && !/\s/.test(text[i] as string)) {
        if (text[i] === '\\' && text[i + 1] === '"') {
          token += '"'
          i += 2
          continue
        }
        token += text[i]
        i++
      }
    }
    tokens.push(token)
  }
  return tokens
}

// ---- merging containers ----------------------------------------------------------------------------

function sameKeys(a: Block, b: Block): boolean {
  return a.keys.length === b.keys.length && a.keys.every((key, i) => key === b.keys[i])
}

function isMatcherToken(value: string): boolean {
  return value === '*' || value.startsWith('/') || value.startsWith('@')
}

function matcherOf(b: Block): string {
  return b.keys.length <= 1 || !isMatcherToken(b.keys[1] as string) ? '*' : (b.keys[1] as string)
}

/**
 * Merges `from` into `into` the way CDP merges every container into one Caddyfile: a block whose
 * keys equal an existing one's is merged into it; `reverse_proxy` with the same matcher gets the
 * other's upstreams appended (so two apps claiming one site are load-balanced together, docs/caddy.md#merge).
 */
export function mergeBlocks(into: Block[], from: readonly Block[]): void {
  outer: for (const incoming of from) {
    const first = incoming.keys[0] ?? ''
    for (const existing of into.filter((b) => (b.keys[0] ?? '') === first)) {
      if ((first === 'reverse_proxy' || first === 'php_fastcgi') && matcherOf(existing) === matcherOf(incoming)) {
        incoming.keys.slice(1).forEach((key, index) => {
          if (index > 0 || !isMatcherToken(key)) existing.keys.push(key)
        })
        mergeBlocks(existing.children, incoming.children)
        continue outer
      }
      if (sameKeys(existing, incoming)) {
        mergeBlocks(existing.children, incoming.children)
        continue outer
      }
    }
    into.push(incoming)
  }
}

// ---- sorting and writing ---------------------------------------------------------------------------

function compareBlocks(a: Block, b: Block): number {
  if (isGlobalBlock(a) !== isGlobalBlock(b)) return isGlobalBlock(a) ? -1 : 1
  if (isSnippet(a) !== isSnippet(b)) return isSnippet(a) ? -1 : 1
  if (isMatcherBlock(a) !== isMatcherBlock(b)) return isMatcherBlock(a) ? -1 : 1
  if (a.order !== b.order) return a.order < b.order ? -1 : 1
  for (let i = 0; i < Math.min(a.keys.length, b.keys.length); i++) {
    const ka = a.keys[i] as string
    const kb = b.keys[i] as string
    // Go compares strings byte-wise; so does this for the ASCII of Caddyfile tokens.
    if (ka !== kb) return ka < kb ? -1 : 1
  }
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1
  for (let i = 0; i < Math.min(a.children.length, b.children.length); i++) {
    const c = compareBlocks(a.children[i] as Block, b.children[i] as Block)
    if (c !== 0) return c
  }
  if (a.children.length !== b.children.length) return a.children.length < b.children.length ? -1 : 1
  return 0
}

/** Sorts in place, children first (a stable sort, as Go's sort.SliceStable). */
export function sortBlocks(blocks: Block[]): void {
  for (const b of blocks) sortBlocks(b.children)
  blocks.sort(compareBlocks)
}

function writeKey(key: string): string {
  if (/[\n"]/.test(key)) return `\`${key.replaceAll('`', '\\`')}\``
  if (key.includes(' ')) return `"${key.replaceAll('"', '\\"')}"`
  return key
}

function writeBlock(b: Block, level: number, out: string[]): void {
  const indent = '\t'.repeat(level)
  let line = indent + b.keys.map(writeKey).join(' ')
  if (b.children.length > 0) {
    line += `${b.keys.length > 0 ? ' ' : ''}{\n`
    const inner: string[] = []
    for (const child of b.children) writeBlock(child, level + 1, inner)
    line += `${inner.join('')}${indent}}`
  }
  out.push(`${line}\n`)
}

/** Sorts and writes blocks as Caddyfile text. */
export function marshal(blocks: Block[]): string {
  sortBlocks(blocks)
  const out: string[] = []
  for (const b of blocks) writeBlock(b, 0, out)
  return out.join('')
}

/** Deep copy, so that merging one set of blocks into another never changes the first. */
export function cloneBlocks(blocks: readonly Block[]): Block[] {
  return blocks.map((b) => ({ keys: [...b.keys], order: b.order, children: cloneBlocks(b.children) }))
}
