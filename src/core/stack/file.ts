// PLACEHOLDER (converge helper): the stack-file helper's parser replaces this file. It exists only
// so that the root action compiles and its tests run meanwhile: it reads the YAML into the typed
// model with a line for every path, and checks little beyond the shapes the model needs.
import { readFile } from 'node:fs/promises'
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { ConfigurationError } from '../errors.js'
import type { AppSpec, StackFile, StackPath, StackSpec, StorageSpec } from './model.js'

export class StackFileError extends ConfigurationError {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`, 'stack-file')
    this.name = 'StackFileError'
  }
}

export async function readStackFile(path: string): Promise<StackFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigurationError(`Input "stack-file" names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check out the repository first, or set stack-file.`, 'stack-file')
  }
  return parseStackFile(text, path)
}

type Raw = Record<string, unknown>

export function parseStackFile(text: string, file: string): StackFile {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  if (doc.errors.length > 0) {
    const error = doc.errors[0] as { message: string; linePos?: [{ line: number }] }
    throw new StackFileError(file, error.linePos?.[0].line ?? 1, error.message)
  }
  const locate = (path: StackPath) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        const pos = lineCounter.linePos(node.range[0])
        return { file, line: pos.line, column: pos.col }
      }
    }
    return { file, line: 1, column: 1 }
  }
  const raw = (doc.toJS() ?? {}) as Raw
  const fail = (path: StackPath, message: string): never => {
    throw new StackFileError(file, locate(path).line, message)
  }
  if (raw.version !== 1) fail(['version'], 'version must be 1')
  if (!isMap(doc.contents)) fail([], 'the file must be a mapping')
  const services = (raw.services ?? {}) as Record<string, Raw>
  const apps = (raw.apps ?? {}) as Record<string, Raw>
  const spec: StackSpec = {
    version: 1,
    services: Object.fromEntries(
      Object.entries(services).map(([name, s]) => [
        name,
        { engine: s.engine as 'postgres', ...(s.image ? { image: String(s.image) } : {}), ...(s.memory ? { memory: Number(s.memory) } : {}) }
      ])
    ),
    apps: Object.fromEntries(Object.entries(apps).map(([name, a]) => [name, appSpec(a ?? {}, (path, message) => fail(['apps', name, ...path], message))]))
  }
  const store = raw['object-store'] as Raw | undefined
  if (store)
    spec.objectStore = {
      app: String(store.app ?? 'seaweedfs'),
      buckets: ((store.buckets ?? []) as unknown[]).map(String),
      access: (store.access ?? {}) as Record<string, Record<string, 'read' | 'readwrite'>>,
      ...(store.image ? { image: String(store.image) } : {}),
      ...(store.domain ? { domain: String(store.domain) } : {}),
      ...(store.region ? { region: String(store.region) } : {})
    }
  const proxy = raw.proxy as Raw | undefined
  if (proxy)
    spec.proxy = {
      tls: proxy.tls === 'internal' ? 'internal' : 'letsencrypt',
      ...(proxy['letsencrypt-email'] ? { letsencryptEmail: String(proxy['letsencrypt-email']) } : {})
    }
  if (!isSeq(doc.contents) && Object.keys(raw).some((k) => !['version', 'services', 'object-store', 'proxy', 'apps'].includes(k)))
    fail([], `unknown key; the keys are version, services, object-store, proxy, apps`)
  return { spec, locate }
}

function appSpec(a: Raw, fail: (path: StackPath, message: string) => never): AppSpec {
  const storage: StorageSpec[] = ((a.storage ?? []) as unknown[]).map((entry, i) => {
    const [source, target, extra] = String(entry).split(':')
    if (!source || !target || extra !== undefined) fail(['storage', i], 'a storage entry is SOURCE:/container/path')
    return { source: source as string, target: target as string }
  })
  const deploy = a.deploy as Raw | undefined
  return {
    services: ((a.services ?? []) as unknown[]).map(String),
    config: Object.fromEntries(Object.entries((a.config ?? {}) as Raw).map(([k, v]) => [k, String(v)])),
    secrets: ((a.secrets ?? []) as unknown[]).map(String),
    domains: ((a.domains ?? []) as unknown[]).map(String),
    ...(a.port === undefined ? {} : { port: Number(a.port) }),
    storage,
    ...(a.healthcheck ? { healthcheck: { path: String((a.healthcheck as Raw).path ?? '/') } } : {}),
    ...(deploy === undefined
      ? {}
      : deploy.image
        ? { deploy: { image: String(deploy.image) } }
        : { deploy: { source: 'git' as const, ...(deploy.branch ? { branch: String(deploy.branch) } : {}) } })
  }
}
