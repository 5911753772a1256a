import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../../src/core/errors.ts'
import { clearSecretsForTest, redact } from '../../../src/core/secrets.ts'
import { parseStackFile, readStackFile, STACK_FILE_MAX_BYTES, StackFileError } from '../../../src/core/stack/file.ts'
import type { StackSpec } from '../../../src/core/stack/model.ts'
import { repoRoot } from '../../support/actions.ts'
import { captureStdout } from '../../support/inputs.ts'

const FILE = 'dokku-stack.yml'

/** The problem lines of the error a text raises (the first line of the message is the count); what it masks is not printed. */
function problems(text: string): string[] {
  try {
    captureStdout(() => parseStackFile(text, FILE))
  } catch (error) {
    expect(error).toBeInstanceOf(StackFileError)
    const lines = (error as StackFileError).message.split('\n')
    expect(lines[0]).toMatch(/^The stack file dokku-stack\.yml has (a problem|\d+ problems); nothing was changed on the host:$/)
    return lines.slice(1)
  }
  throw new Error('the text was accepted')
}

/** Parses a text that must be refused, printing what the parser prints. */
function refuse(text: string): void {
  expect(() => parseStackFile(text, FILE)).toThrow(StackFileError)
}

/** A valid file's text with `apps.uro` given by `uro` (indented lines, no leading spaces needed). */
function withApp(uro: string, head = ''): string {
  const body = uro
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
  return `version: 1\n${head}services:\n  uro-db: { engine: postgres }\napps:\n  uro:\n${body}\n`
}

describe('the example stack file', () => {
  const text = readFileSync(join(repoRoot, 'dokku-stack.yml'), 'utf8')

  it('points editors at the published schema on its first line', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/dokku-stack.schema.json')
  })

  it('parses to the Uro stack', () => {
    const expected: StackSpec = {
      version: 1,
      services: { 'uro-db': { engine: 'postgres' }, 'uro-redis': { engine: 'redis' } },
      objectStore: { app: 'seaweedfs', buckets: ['uro-uploads'], access: { uro: { 'uro-uploads': 'readwrite' } } },
      proxy: { letsencryptEmail: 'ops@example.org', tls: 'letsencrypt' },
      apps: {
        uro: {
          services: ['uro-db', 'uro-redis'],
          config: { URL: 'https://uro.example.org/', ROOT_ORIGIN: 'https://uro.example.org', FRONTEND_URL: 'https://vsekai.example.org/' },
          secrets: ['PHOENIX_KEY_BASE', 'JOKEN_SIGNER'],
          domains: ['uro.example.org'],
          port: 4000,
          storage: [{ source: 'uploads', target: '/app/uploads' }],
          healthcheck: { path: '/health' },
          deploy: { source: 'git' }
        }
      }
    }
    expect(parseStackFile(text, FILE).spec).toStrictEqual(expected)
  })

  it('locates a path at its node, and a path that is not in the file at the nearest node that is', () => {
    const stack = parseStackFile(text, FILE)
    const lines = text.split('\n')
    const at = (line: number, needle: string) => ({ file: FILE, line, column: (lines[line - 1] as string).indexOf(needle) + 1 })
    const portLine = lines.findIndex((l) => l.includes('port: 4000')) + 1
    expect(stack.locate(['apps', 'uro', 'port'])).toEqual(at(portLine, '4000'))
    const servicesLine = lines.findIndex((l) => l.includes('services: [uro-db, uro-redis]')) + 1
    expect(stack.locate(['apps', 'uro', 'services', 1])).toEqual(at(servicesLine, 'uro-redis'))
    // proxy.tls is a default: the proxy mapping is where it would be written.
    const proxyLine = lines.findIndex((l) => l.startsWith('proxy:')) + 1
    expect(stack.locate(['proxy', 'tls'])).toEqual(at(proxyLine + 1, 'letsencrypt-email'))
    expect(stack.locate(['apps', 'nope', 'port'])).toEqual(at(lines.findIndex((l) => l.startsWith('apps:')) + 1 + 1, 'uro'))
    expect(stack.locate([])).toEqual(at(lines.findIndex((l) => l.startsWith('version:')) + 1, 'version'))
  })
})

describe('schema errors', () => {
  it('name the file, line, column, path, bad value and fix, for every problem at once, in file order', () => {
    const text = [
      'version: 1', //                                                   1
      'services:', //                                                    2
      '  uro-db: { engine: postgress, memory: 8 }', //                   3
      '  -x: { engine: redis }', //                                      4
      '  cache: { image: redis }', //                                    5
      'object_store: {}', //                                             6
      'apps:', //                                                        7
      '  Uro: {}', //                                                    8
      '  uro:', //                                                       9
      '    port: 99999', //                                              10
      '    helthcheck: { path: health }', //                             11
      '    config: { MODE: 0777, ON: on, EMPTY: , RATIO: 1.5, OK: "0777" }', // 12
      '    domains: [Uro.example.org, "https://x.org"]', //              13
      '    storage: ["../x:/app"]', //                                   14
      '    services: [uro-db, uro-db]' //                                15
    ].join('\n')
    expect(problems(text)).toEqual([
      'dokku-stack.yml:3:21: services.uro-db.engine: "postgress" is not an engine this toolkit knows — use one of: postgres, redis, cockroach (did you mean postgres?)',
      'dokku-stack.yml:3:40: services.uro-db.memory: 8 is less than 16 — use a memory limit from 16 to 1048576',
      'dokku-stack.yml:4:3: services.-x: "-x" is not a valid service name: letters, digits, underscores and hyphens, not starting with a hyphen; at most 48 characters (apps reach the service as dokku-postgres-<name>, a 63-character DNS label) — e.g. uro-db',
      'dokku-stack.yml:5:10: services.cache: engine is missing — add it, e.g. engine: postgres',
      'dokku-stack.yml:5:19: services.cache.image: "redis" is not a valid image reference: a Docker image with a version tag, optionally pinned by digest: repository:tag or repository:tag@sha256:DIGEST — e.g. postgres:18.4',
      'dokku-stack.yml:6:1: object_store: object_store is not a key at the top of the file — did you mean object-store? (the keys there are: version, services, object-store, proxy, apps)',
      'dokku-stack.yml:8:3: apps.Uro: "Uro" is not a valid Dokku app name: lowercase letters, digits, dots and hyphens, starting with a letter or digit; at most 200 characters — e.g. uro',
      'dokku-stack.yml:10:11: apps.uro.port: 99999 is more than 65535 — use a port from 1 to 65535',
      'dokku-stack.yml:11:5: apps.uro.helthcheck: helthcheck is not a key here — did you mean healthcheck? (the keys there are: services, config, secrets, domains, port, storage, healthcheck, deploy)',
      'dokku-stack.yml:12:21: apps.uro.config.MODE: 0777 is a number, and config values must be strings — quote it: "0777"',
      'dokku-stack.yml:12:35: apps.uro.config.EMPTY: the value is empty — write "" for an empty value, or remove the key',
      'dokku-stack.yml:12:51: apps.uro.config.RATIO: 1.5 is a number with a fraction, and config values must be strings — quote it: "1.5"',
      'dokku-stack.yml:13:15: apps.uro.domains[0]: "Uro.example.org" is not a valid domain: a fully qualified host name in lower case, without scheme, path or port; a wildcard (*.example.org) only with proxy tls: internal — e.g. uro.example.org',
      'dokku-stack.yml:13:32: apps.uro.domains[1]: "https://x.org" is not a valid domain: a fully qualified host name in lower case, without scheme, path or port; a wildcard (*.example.org) only with proxy tls: internal — e.g. uro.example.org',
      'dokku-stack.yml:14:15: apps.uro.storage[0]: "../x:/app" is not a valid mount: SOURCE:TARGET: a storage entry name (letters, digits, underscores, hyphens) or an absolute host path, then an absolute path inside the container, without .. or spaces — e.g. uploads:/app/uploads',
      'dokku-stack.yml:15:24: apps.uro.services[1]: "uro-db" is listed twice (also at line 15, column 16) — keep one'
    ])
  })

  it('keep words such as on and yes as strings (YAML 1.2), and ask for quotes where YAML reads a number', () => {
    const stack = parseStackFile(withApp('config: { A: on, B: yes, C: "0777", D: "true" }'), FILE)
    expect(stack.spec.apps.uro?.config).toEqual({ A: 'on', B: 'yes', C: '0777', D: 'true' })
    expect(problems(withApp('config: { FLAG: true }'))).toEqual([
      'dokku-stack.yml:6:21: apps.uro.config.FLAG: true is true or false, and config values must be strings — quote it: "true"'
    ])
  })

  it('say which kind of value was expected, for values of the wrong kind or none at all', () => {
    expect(problems('version: 1\napps:\n')).toEqual(['dokku-stack.yml:2:1: apps: this is empty, not a mapping (key: value) — e.g. uro: { port: 4000, domains: [uro.example.org] }'])
    expect(problems(withApp('port: "4000"\ndomains: uro.example.org\nconfig: { A: [1] }'))).toEqual([
      'dokku-stack.yml:6:11: apps.uro.port: "4000" is a string, not a whole number — e.g. port: 4000',
      'dokku-stack.yml:7:14: apps.uro.domains: "uro.example.org" is a string, not a list — e.g. domains: [uro.example.org]',
      'dokku-stack.yml:8:18: apps.uro.config.A: this is a list, and config values must be strings — write the value as one quoted string'
    ])
    expect(problems('version: 1\nproxy: { tls: acme, letsencrypt-email: ops at example }\n')).toEqual([
      'dokku-stack.yml:2:15: proxy.tls: "acme" is not a TLS mode this toolkit knows — use one of: letsencrypt, internal',
      'dokku-stack.yml:2:40: proxy.letsencrypt-email: "ops at example" is not a valid email address: a name, @, and a domain with at least one dot — e.g. ops@example.org'
    ])
  })

  it('state the naming rule a bucket, a config key or a region breaks', () => {
    expect(problems('version: 1\nobject-store: { buckets: [Uro_Uploads], region: EU }\napps:\n  uro:\n    config: { 1KEY: "x" }\n')).toEqual([
      'dokku-stack.yml:2:27: object-store.buckets[0]: "Uro_Uploads" is not a valid bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no two dots in a row, not an IP address, none of the prefixes and suffixes S3 reserves (the S3 naming rules) — e.g. uro-uploads',
      'dokku-stack.yml:2:49: object-store.region: "EU" is not a valid region: the S3 region name the apps are given (SeaweedFS accepts any): 1 to 32 lowercase letters, digits and hyphens — e.g. region: us-east-1',
      'dokku-stack.yml:5:15: apps.uro.config.1KEY: "1KEY" is not a valid config key: letters, digits and underscores, starting with a letter or underscore (an environment variable name) — e.g. PHOENIX_KEY_BASE'
    ])
  })

  it('refuse a version this toolkit does not read, and a file without one', () => {
    expect(problems('version: 2\n')).toEqual(['dokku-stack.yml:1:10: version: 2 is not a stack file version this toolkit reads — use version: 1'])
    expect(problems('version: "1"\n')).toEqual(['dokku-stack.yml:1:10: version: "1" is not a stack file version this toolkit reads — use version: 1'])
    expect(problems('apps: {}\n')).toEqual(['dokku-stack.yml:1:1: version is missing — add it, e.g. version: 1'])
    expect(problems(withApp('config: [A=1]'))).toEqual([
      'dokku-stack.yml:6:13: apps.uro.config: this is a list, not a mapping (key: value) — e.g. config: { URL: "https://uro.example.org/" }'
    ])
    expect(problems('- version: 1\n')).toEqual([
      'dokku-stack.yml:1:1: this is a list, not a mapping (key: value) — e.g. version: 1'
    ])
  })

  it('ask for one of source or image in a deploy, and report the one the user meant', () => {
    expect(problems(withApp('deploy: { source: git, image: "ghcr.io/a/b:1" }'))).toEqual([
      'dokku-stack.yml:6:13: apps.uro.deploy: has both source and image — use exactly one: { source: git, branch: main }, or { image: ghcr.io/v-sekai/uro@sha256:<64 hex digits> }'
    ])
    expect(problems(withApp('deploy: git'))).toEqual(['dokku-stack.yml:6:13: apps.uro.deploy: "git" is a string, not a mapping (key: value) — e.g. deploy: { source: git }'])
    expect(problems(withApp('deploy:'))).toEqual(['dokku-stack.yml:6:5: apps.uro.deploy: this is empty, not a mapping (key: value) — e.g. deploy: { source: git }'])
    expect(problems(withApp('deploy: {}'))).toEqual([
      'dokku-stack.yml:6:13: apps.uro.deploy: has neither source nor image — use exactly one: { source: git, branch: main }, or { image: ghcr.io/v-sekai/uro@sha256:<64 hex digits> }'
    ])
    expect(problems(withApp('deploy: { source: svn, branch: "-x" }'))).toEqual([
      'dokku-stack.yml:6:23: apps.uro.deploy.source: "svn" is not a source this toolkit reads — use source: git',
      'dokku-stack.yml:6:36: apps.uro.deploy.branch: "-x" is not a valid deploy branch: the app\'s deploy branch on the host (absent: main): letters, digits, dots, underscores, slashes and hyphens, not starting with a hyphen, without .. and not ending in / or .lock; at most 255 characters — e.g. branch: main'
    ])
    expect(problems(withApp('deploy: { image: "ghcr.io/a/b:1", branch: main }'))).toEqual([
      'dokku-stack.yml:6:39: apps.uro.deploy.branch: branch is not a key here — use one of: image'
    ])
    const image = parseStackFile(withApp(`deploy: { image: "ghcr.io/v-sekai/uro@sha256:${'a'.repeat(64)}" }`), FILE)
    expect(image.spec.apps.uro?.deploy).toEqual({ image: `ghcr.io/v-sekai/uro@sha256:${'a'.repeat(64)}` })
    expect(parseStackFile(withApp('deploy: { source: git, branch: release/2 }'), FILE).spec.apps.uro?.deploy).toEqual({ source: 'git', branch: 'release/2' })
  })
})

describe('secrets', () => {
  it('are names only: a value given in the file is refused without being shown', () => {
    const lines = problems(withApp('secrets: [PHOENIX_KEY_BASE, "JOKEN_SIGNER=hunter2-value", { TOKEN: hunter3-value }]'))
    expect(lines).toEqual([
      "dokku-stack.yml:6:33: apps.uro.secrets[1]: this entry is not a variable name (it is not shown: entries under secrets may hold a secret) — list only names, e.g. PHOENIX_KEY_BASE; if a secret's value was written here, remove it and rotate that secret",
      "dokku-stack.yml:6:63: apps.uro.secrets[2]: this entry is not a name (it is not shown: it may hold a secret) — list only the variable's name; its value comes from the step's environment (env:), never from this file. If a real secret was written here, remove it and rotate that secret"
    ])
    expect(lines.join('\n')).not.toMatch(/hunter/)
    const mapping = problems(withApp('secrets: { PHOENIX_KEY_BASE: hunter2-value }'))
    expect(mapping).toEqual([
      "dokku-stack.yml:6:14: apps.uro.secrets: secrets is a mapping (not shown: it may hold secrets) — secrets lists names only, e.g. secrets: [PHOENIX_KEY_BASE, JOKEN_SIGNER]; each value comes from the step's environment (env:), never from this file"
    ])
  })

  it('that are not names are masked, so nothing printed later in the run shows them', () => {
    clearSecretsForTest()
    const printed = captureStdout(() => refuse(withApp('secrets: ["JOKEN_SIGNER=masked-4-value", { TOKEN: masked-5-value }, PHOENIX_KEY_BASE]')))
    expect(printed).toContain('::add-mask::masked-4-value\n')
    expect(printed).toContain('::add-mask::JOKEN_SIGNER=masked-4-value\n')
    expect(printed).toContain('::add-mask::masked-5-value\n')
    expect(printed).not.toContain('PHOENIX_KEY_BASE')
    expect(redact('seen: masked-4-value, masked-5-value')).toBe('seen: ***, ***')
  })

  it('are listed once, and not also set in config', () => {
    expect(problems(withApp('secrets: [JOKEN_SIGNER, JOKEN_SIGNER]'))).toEqual(['dokku-stack.yml:6:29: apps.uro.secrets[1]: this name is listed twice (also at line 6, column 15) — keep one'])
    const lines = problems(withApp('secrets: [JOKEN_SIGNER]\nconfig: { JOKEN_SIGNER: hunter2-value }'))
    expect(lines).toEqual([
      "dokku-stack.yml:7:15: apps.uro.config.JOKEN_SIGNER: JOKEN_SIGNER is set here and also listed in secrets — a secret's value comes from the step's environment only: remove it from config"
    ])
    expect(lines.join('\n')).not.toMatch(/hunter/)
  })
})

describe('references across sections', () => {
  it('are checked after the schema, each at its line', () => {
    const text = [
      'version: 1',
      'services:',
      '  uro-db: { engine: postgres }',
      '  uro: { engine: redis }',
      '  Crdb: { engine: cockroach }',
      'object-store: { buckets: [uro-uploads], access: { uro: { uro-uploadz: read }, nope: { uro-uploads: read }, seaweedfs: { uro-uploads: read } } }',
      'apps:',
      '  uro:',
      '    services: [uro-db, uro-dbb]',
      '    domains: [uro.example.org, "*.example.org"]',
      '  web:',
      '    domains: [uro.example.org]',
      '    port: 80'
    ].join('\n')
    expect(problems(text)).toEqual([
      'dokku-stack.yml:4:3: services.uro: "uro" names both a service and an app — give them different names: CockroachDB services run as Dokku apps, and a plan step names each by its name alone',
      'dokku-stack.yml:5:3: services.Crdb: "Crdb" cannot name a cockroach service: it must be lowercase letters, digits and hyphens, starting with a letter (the node runs as a Dokku app, and the database is named after it in SQL) — rename it, e.g. uro-db',
      'dokku-stack.yml:6:58: object-store.access.uro.uro-uploadz: "uro-uploadz" is not one of object-store.buckets — add it to buckets, or correct the name (did you mean uro-uploads?)',
      'dokku-stack.yml:6:79: object-store.access.nope: "nope" is not an app under apps — add it to apps, or correct the name',
      'dokku-stack.yml:6:108: object-store.access.seaweedfs: gives the store itself (seaweedfs) an identity — name the apps that use the store',
      'dokku-stack.yml:9:24: apps.uro.services[1]: "uro-dbb" is not a service under services — add it to services, or correct the name (did you mean uro-db?)',
      'dokku-stack.yml:10:14: apps.uro.domains: the proxy needs the port the app listens on to route its domains — add port: under apps.uro, e.g. port: 4000',
      'dokku-stack.yml:10:32: apps.uro.domains[1]: "*.example.org" is a wildcard, which Let\'s Encrypt issues only through a DNS challenge that Dokku\'s Caddy cannot answer — list each host name, or set proxy.tls: internal',
      'dokku-stack.yml:12:15: apps.web.domains[0]: "uro.example.org" is also apps.uro.domains[0] (line 10) — a host name routes to one app: remove one'
    ])
  })

  it('accept a wildcard with Caddy\'s own CA, and refuse a store image older than 4.43 or an app named like the store', () => {
    const wildcard = withApp('port: 4000\ndomains: ["*.example.org"]', 'proxy: { tls: internal }\n')
    expect(parseStackFile(wildcard, FILE).spec.apps.uro?.domains).toEqual(['*.example.org'])
    const store = withApp('port: 4000', 'object-store: { app: uro, image: "chrislusf/seaweedfs:4.40" }\n')
    expect(problems(store)).toEqual([
      'dokku-stack.yml:2:22: object-store.app: "uro" is the object store\'s app and also an app under apps — the store\'s app is created and deployed by the object store: pick another name for one of them',
      'dokku-stack.yml:2:34: object-store.image: "chrislusf/seaweedfs:4.40" is SeaweedFS 4.40, older than 4.43: SeaweedFS before 4.43 can delete an object it already acknowledged with 200, when the empty-folder cleaner races the upload (seaweedfs#10779, fixed by PR #10782/#10783 in 4.42 and PR #10799 in 4.43) — use chrislusf/seaweedfs:4.48@sha256:4e61d15fd35994cb1e43e1e553dff106794841fd9a99ade2fc8c8bfce4d7872d or newer, pinned by digest: chrislusf/seaweedfs:VERSION@sha256:DIGEST.'
    ])
  })

  it('refuse a workflow expression in a config value: nothing expands it in this file', () => {
    expect(problems(withApp('config: { URL: "https://${{ vars.URO_DOMAIN }}/" }'))).toEqual([
      'dokku-stack.yml:6:20: apps.uro.config.URL: "https://${{ vars.URO_DOMAIN }}/" holds a ${{ }} expression, which nothing expands in a stack file (it is not a workflow) — write the value itself, or list URL under secrets and set it in the step\'s env:'
    ])
  })

  it('refuse a config value Dokku cannot store as given, naming the key and not the value', () => {
    const lines = problems(withApp('config: { KEY: "ends-with-backslash\\\\" }'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^dokku-stack\.yml:6:20: apps\.uro\.config\.KEY: Dokku cannot store this value as given \(.+\) — end it with another character, or store it base64-encoded and decode it in the app$/)
    expect(lines[0]).not.toContain('ends-with')
  })
})

describe('YAML features that hide what a value is', () => {
  it('are refused with the reason: anchors, aliases, merge keys, tags, keys YAML reads as numbers', () => {
    const text = ['version: 1', 'x: &a 1', 'y: *a', 'z: !!str 5', '<<: {q: 1}', '0777: 1'].join('\n')
    expect(problems(text)).toEqual([
      'dokku-stack.yml:2:4: x: the anchor &a is not allowed — remove it and write each value where it is used: anchors and aliases make a reader look elsewhere for what a key holds',
      'dokku-stack.yml:3:4: y: the alias *a repeats another part of the file — write the value out: anchors and aliases make a reader look elsewhere for what a key holds, and can expand beyond what the file shows',
      'dokku-stack.yml:4:4: z: the tag !!str is not allowed — remove it, and quote the value if it must be a string: tags change what a value means out of sight',
      'dokku-stack.yml:5:1: ["<<"]: the merge key << is not allowed — write the keys out: merged keys come from elsewhere in the file, and YAML 1.2 does not define them',
      'dokku-stack.yml:6:1: 0777: the key 0777 is read by YAML as a number, not as a name — quote it: "0777"'
    ])
  })

  it('are refused: duplicate keys, several documents, a %YAML 1.1 directive', () => {
    expect(problems('version: 1\napps: {}\napps: {}\n')).toEqual([
      'dokku-stack.yml:3:1: apps: the key "apps" appears twice in the same mapping — keep one (YAML would silently keep only the last, so a value could vanish unseen)'
    ])
    expect(problems('version: 1\n---\nversion: 1\n')).toEqual([
      'dokku-stack.yml:2:1: the file holds more than one YAML document (a line of ---) — keep one document: one stack file describes one host'
    ])
    expect(problems('%YAML 1.1\n---\nversion: 1\n')).toEqual([
      'dokku-stack.yml:1:1: the file declares %YAML 1.1, but a stack file is read as YAML 1.2 only (in 1.1, on, yes and 0777 are not strings) — remove the %YAML line'
    ])
  })

  it('reports a syntax error at its line and column, and an empty file as empty', () => {
    expect(problems('version: 1\napps: [uro\n')).toEqual([
      'dokku-stack.yml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ] — correct the YAML here'
    ])
    expect(problems('version: 1\napps:\n  uro: {\n    port: 1\n  bad\n')[0]).toMatch(/^dokku-stack\.yml:5:3: apps\.bad: YAML syntax: .+ — correct the YAML here$/)
    expect(problems('')).toEqual(['dokku-stack.yml:1:1: the file is empty — start it with version: 1'])
    expect(problems('# only a comment\n')).toEqual(['dokku-stack.yml:1:1: the file is empty — start it with version: 1'])
  })
})

describe('the error', () => {
  it('is a ConfigurationError for input stack-file, carrying each problem with its location', () => {
    try {
      parseStackFile(withApp('port: 0'), 'deploy/stack.yml')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError)
      const stackError = error as StackFileError
      expect(stackError.input).toBe('stack-file')
      expect(stackError.file).toBe('deploy/stack.yml')
      expect(stackError.problems).toEqual([
        { location: { file: 'deploy/stack.yml', line: 6, column: 11 }, path: 'apps.uro.port', message: '0 is less than 1 — use a port from 1 to 65535' }
      ])
      expect(stackError.message).toBe('The stack file deploy/stack.yml has a problem; nothing was changed on the host:\ndeploy/stack.yml:6:11: apps.uro.port: 0 is less than 1 — use a port from 1 to 65535')
    }
  })

  it('lists the first 50 problems and counts the rest', () => {
    const apps = Array.from({ length: 60 }, (_, i) => `  app${i}: { port: 0 }`).join('\n')
    const lines = problems(`version: 1\napps:\n${apps}\n`)
    expect(lines).toHaveLength(51)
    expect(lines[0]).toBe('dokku-stack.yml:3:17: apps.app0.port: 0 is less than 1 — use a port from 1 to 65535')
    expect(lines[50]).toBe('… and 10 more.')
  })
})

describe('readStackFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-file-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads the file and names it as given', async () => {
    const path = join(dir, 'ok.yml')
    writeFileSync(path, withApp('port: 4000'))
    expect((await readStackFile(path)).spec.apps.uro?.port).toBe(4000)
    writeFileSync(path, withApp('port: 70000'))
    await expect(readStackFile(path)).rejects.toThrow(`${path}:6:11: apps.uro.port: 70000 is more than 65535 — use a port from 1 to 65535`)
  })

  it('refuses a file over 1 MiB before reading it, and a text that is not UTF-8', async () => {
    const big = join(dir, 'big.yml')
    writeFileSync(big, `version: 1\n${'#'.repeat(STACK_FILE_MAX_BYTES)}\n`)
    await expect(readStackFile(big)).rejects.toThrow(
      `${big}:1:1: the file is ${STACK_FILE_MAX_BYTES + 12} bytes, over the 1048576 bytes (1 MiB) a stack file may have — one host's stack fits in a few kilobytes: remove what is not part of it`
    )
    expect(() => parseStackFile(`version: 1\n${'#'.repeat(STACK_FILE_MAX_BYTES)}`, FILE)).toThrow(StackFileError)
    const latin1 = join(dir, 'latin1.yml')
    writeFileSync(latin1, Buffer.from('version: 1\napps:\n  uro:\n    config: { A: "caf\xe9" }\n', 'latin1'))
    await expect(readStackFile(latin1)).rejects.toThrow(`${latin1}:1:1: the file is not UTF-8 text — save it as UTF-8`)
  })

  it('says what to do when the file is missing', async () => {
    const missing = join(dir, 'missing.yml')
    const error = await readStackFile(missing).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toBe(
      `Input "stack-file" names ${missing}, which cannot be read (ENOENT) from ${process.cwd()}. Check the repository out first (actions/checkout), or set stack-file to the file's path relative to the workspace.`
    )
  })
})
