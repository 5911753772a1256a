// A generated corpus of hostile strings for the inputs that reach the Dokku host, the runner's
// shell or a URL (issue 17, "Hostile input"). Deterministic: a seeded PRNG and fixed seeds, no
// network, no clock, so every run (and every machine) tries exactly the same strings and a
// failure names a string that can be tried again by its id.
//
// Every payload that would do something if a shell ran it tries to create a canary file named
// `hostile-canary-…` (CANARY_PREFIX): a test that finds one anywhere has found an injection.

export const HOSTILE_CATEGORIES = [
  'shell-metacharacter',
  'quote',
  'command-substitution',
  'newline',
  'nul',
  'option-like',
  'long',
  'unicode-look-alike',
  'path-traversal',
  'url',
  'yaml',
  'control-character',
  'workflow-command'
] as const
export type HostileCategory = (typeof HOSTILE_CATEGORIES)[number]

export interface HostileString {
  /** Stable across runs: `<category>-<n>`. */
  readonly id: string
  readonly category: HostileCategory
  readonly value: string
}

/** The name every injected command tries to create under /tmp, $HOME or the working directory. */
export const CANARY_PREFIX = 'hostile-canary-'
export const CANARY_DIRS = ['/tmp', '~', '.'] as const

export const DEFAULT_SEED = 0x5eed17
export const MINIMUM_CORPUS = 1000

/** mulberry32: small, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Plausible values the payloads are glued to: a hostile string rarely arrives alone.
const HOSTS = ['uro', 'db', 'main', 'uro-web', 'cache', 'backups', 'DATABASE_URL', 'v1.2.3', 'dokku-stack/', 'postgres:db']

const canary = (n: number, dir: (typeof CANARY_DIRS)[number] = '/tmp') => `${dir}/${CANARY_PREFIX}${n}`

/** The seeds of each category: short, literal forms of the trick. */
function seeds(category: HostileCategory): string[] {
  switch (category) {
    case 'shell-metacharacter':
      return [';', '|', '||', '&&', '&', '>', '>>', '<', '<<EOF', '*', '?', '[a-z]', '{a,b}', '~', '#', '!', '\\', '$', '%', '^', '=', '(', ')', ' ', '\t']
    case 'quote':
      return ["'", '"', '`', "''", '""', "'\\''", '"\\""', '\u2018', '\u2019', '\u201c', '\u201d', '\u00ab', '\u00bb', '\u2039', '\u203a', '\u300c', '\u201e', '\uff07', '\uff02', "\\'"]
    case 'command-substitution':
      return ['$(id)', '`id`', '${IFS}', '$HOME', '$((7*6))', '<(id)', '>(id)', '$(touch CANARY)', '`touch CANARY`', ';touch CANARY', '|touch CANARY', '&&touch CANARY', '${PATH:0:1}', '$\'\\x41\'', '$"x"', '!!', '$0', '$@', '${@}']
    case 'newline':
      return ['\n', '\r\n', '\r', '\n\n', '\ntouch CANARY\n', '\ndokku apps:destroy uro --force\n', '\n--force', '\n#', '\v', '\f']
    case 'nul':
      return ['\0', 'a\0b', '\0touch CANARY', '\0\0', '%00', '\\0', '\\x00']
    case 'option-like':
      return ['-n', '-e', '-E', '-neE', '-en', '--help', '--version', '--app', '--app uro', '--trace', '--force', '--quiet', '--', '-', '-rf', '-h', '-v', '--no-restart', '--encoded', '--format json', '-oProxyCommand=touch CANARY', '--upload-pack=touch CANARY']
    case 'long':
      return ['a', 'x-', '9', '\u00e9', 'ab ']
    case 'unicode-look-alike':
      return [
        '\u0430', // Cyrillic a
        '\u0435', // Cyrillic e
        '\u043e', // Cyrillic o
        '\u0440', // Cyrillic p
        '\u0455', // Cyrillic s
        '\u0131', // dotless i
        '\uff41', // full-width a
        '\uff0e', // full-width full stop
        '\uff0f', // full-width solidus
        '\u2024', // one dot leader
        '\u2010', // hyphen
        '\u2011', // non-breaking hyphen
        '\u2212', // minus sign
        '\u200b', // zero-width space
        '\u200d', // zero-width joiner
        '\u2060', // word joiner
        '\ufeff', // byte order mark
        '\u00a0', // no-break space
        '\u202e', // right-to-left override
        '\u2028', // line separator
        '\u0085', // next line
        '\u0301', // combining acute accent
        '\ud83d\ude80', // emoji
        '\ud800' // lone surrogate
      ]
    case 'path-traversal':
      return ['../', '../../etc/passwd', '..\\..\\', '/etc/passwd', '/', '//', './', '.', '..', '....//', '%2e%2e%2f', '%2e%2e/', '..%2f', '~/.ssh/authorized_keys', '/proc/self/environ', '..;/', '\\\\server\\share', 'file:../../']
    case 'url':
      return [
        'http://evil.example/',
        'https://user:pass@evil.example/',
        'javascript:alert(1)',
        'file:///etc/passwd',
        '//evil.example',
        '@evil.example',
        '#fragment',
        '?q=1&r=2',
        '%0d%0aX-Injected: 1',
        'http://127.0.0.1:22/',
        'http://[::1]/',
        'http://0x7f000001/',
        'https://xn--80ak6aa92e.com/',
        'ssh://dokku@evil.example/uro',
        'http://evil.example\\@good.example/',
        'data:text/plain,hi',
        'gopher://evil.example:25/_HELO'
      ]
    case 'yaml':
      return ['key: value', '- item', '&anchor', '*alias', '!!python/object/apply:os.system', '{ a: 1 }', '[1, 2]', '|', '>-', 'null', '~', 'yes', 'no', 'on', 'off', '0x1F', '1e3', '<<: *x', '---', '...', '%YAML 1.1', '? complex', '"quoted: yes"', "'single'", 'a: b: c', '${{ secrets.TOKEN }}', '${{ github.event.head_commit.message }}']
    case 'control-character':
      return ['\u001b[31m', '\u001b]0;title\u0007', '\b', '\u007f', '\u0007', '\u001b[2J', '\u0001', '\u001f', '\u009b31m']
    case 'workflow-command':
      return ['\n::error::injected', '\n::add-mask::uro', '\n::set-output name=x::y', '\n::stop-commands::abc', '\n::warning file=/etc/passwd::x', '%0A::error::x', '\n::group::x', '\n##[error]x']
  }
}

function expand(template: string, n: number): string {
  return template.replaceAll('CANARY', canary(n, CANARY_DIRS[n % CANARY_DIRS.length]))
}

/**
 * The corpus: every seed alone, then seeds glued to plausible values and combined with each
 * other by a seeded PRNG, until each category has its share and the whole is at least `size`
 * distinct strings. The same seed gives the same corpus, in the same order.
 */
export function hostileCorpus(options: { seed?: number; size?: number } = {}): HostileString[] {
  const random = seededRandom(options.seed ?? DEFAULT_SEED)
  const size = Math.max(options.size ?? MINIMUM_CORPUS + 200, MINIMUM_CORPUS)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const seen = new Set<string>()
  const corpus: HostileString[] = []
  const counts = new Map<HostileCategory, number>()
  const add = (category: HostileCategory, value: string): void => {
    if (seen.has(value)) return
    seen.add(value)
    const n = counts.get(category) ?? 0
    counts.set(category, n + 1)
    corpus.push({ id: `${category}-${n}`, category, value })
  }

  let canaryNumber = 0
  for (const category of HOSTILE_CATEGORIES) for (const seed of seeds(category)) add(category, expand(seed, canaryNumber++))
  // Long values: at the edges of the limits the toolkit and the remote side have (63-char names,
  // 253-char host names, 32 KiB forced-command arguments, 128 KiB command strings).
  for (const length of [63, 64, 253, 254, 4096, 32 * 1024, 32 * 1024 + 1, 128 * 1024, 200_000]) add('long', 'a'.repeat(length))
  add('long', `${'a'.repeat(70_000)};touch ${canary(canaryNumber++)}`)

  const perCategory = Math.ceil(size / HOSTILE_CATEGORIES.length)
  for (let round = 0; corpus.length < size && round < size * 20; round++) {
    const category = HOSTILE_CATEGORIES[round % HOSTILE_CATEGORIES.length] as HostileCategory
    if ((counts.get(category) ?? 0) >= perCategory && round < size * 10) continue
    const seed = expand(pick(seeds(category)), canaryNumber++)
    const host = pick(HOSTS)
    let value: string
    switch (Math.floor(random() * 6)) {
      case 0:
        value = `${host}${seed}`
        break
      case 1:
        value = `${seed}${host}`
        break
      case 2:
        value = `${host}${seed}${host}`
        break
      case 3:
        value = `${host}${seed}${expand(pick(seeds(pick(HOSTILE_CATEGORIES))), canaryNumber++)}`
        break
      case 4:
        value = category === 'long' ? seed.repeat(1 + Math.floor(random() * 2000)) : `${seed} ${seed}`
        break
      default:
        value = ` ${host}${seed} `
    }
    add(category, value)
  }
  if (corpus.length < MINIMUM_CORPUS) throw new Error(`the hostile corpus has ${corpus.length} strings, fewer than ${MINIMUM_CORPUS}`)
  return corpus
}
