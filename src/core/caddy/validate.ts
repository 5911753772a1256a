// Checks a rendered Caddyfile with a real Caddy binary on the runner: block by block the way
// caddy-docker-proxy does before it loads a config (`caddyfile/processor.go`: each top-level block
// is adapted with the ones kept so far, and one that fails is dropped with "Removing invalid
// block"), then the whole file with `caddy adapt --validate`, which also provisions the modules.

import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { marshal, cloneBlocks, type Block } from './caddyfile.js'

export interface CaddyBinary {
  /** Path or name of the `caddy` executable (default `caddy`, or DOKKU_STACK_CADDY_BIN). */
  readonly path: string
  readonly timeoutMs: number
}

export function defaultCaddyBinary(): CaddyBinary {
  return { path: process.env.DOKKU_STACK_CADDY_BIN || 'caddy', timeoutMs: 30_000 }
}

export interface AdaptResult {
  readonly ok: boolean
  /** Caddy's error, trimmed ('' when ok). */
  readonly error: string
}

export interface DroppedBlock {
  /** The block's first line, e.g. `api.example.org {`. */
  readonly head: string
  readonly keys: readonly string[]
  readonly error: string
}

export interface ValidationResult {
  /** The first line of `caddy version`. */
  readonly caddyVersion: string
  /** Blocks caddy-docker-proxy would silently drop. */
  readonly dropped: readonly DroppedBlock[]
  /** `caddy adapt --validate` on what remains. */
  readonly validate: AdaptResult
}

/** The binary could not run at all (not installed, not executable). */
export class CaddyUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CaddyUnavailableError'
  }
}

function runCaddy(binary: CaddyBinary, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: process.env.HOME ?? tmpdir() } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), binary.timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new CaddyUnavailableError(`Cannot run ${binary.path} to check the Caddyfile: ${error.message}. Install Caddy on the runner (apt-get install caddy) or set DOKKU_STACK_CADDY_BIN.`))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Caddy's error line(s) without its JSON log noise. */
function caddyError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('{'))
  return (lines.join('\n') || stderr.trim()).replace(/^Error:\s*/, '')
}

export async function caddyVersion(binary: CaddyBinary = defaultCaddyBinary()): Promise<string> {
  const result = await runCaddy(binary, ['version'])
  return result.stdout.split('\n')[0]?.trim() ?? ''
}

/** `caddy adapt --adapter caddyfile [--validate]` on Caddyfile text. */
export async function adaptCaddyfile(text: string, options: { validate: boolean; binary?: CaddyBinary; dir?: string }): Promise<AdaptResult> {
  const binary = options.binary ?? defaultCaddyBinary()
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'dokku-stack-caddy-')))
  try {
    const file = join(dir, `Caddyfile-${Math.random().toString(36).slice(2)}`)
    await writeFile(file, text)
    const result = await runCaddy(binary, ['adapt', '--adapter', 'caddyfile', '--config', file, ...(options.validate ? ['--validate'] : [])])
    return result.code === 0 ? { ok: true, error: '' } : { ok: false, error: caddyError(result.stderr) || `caddy exited with code ${result.code}` }
  } finally {
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Replays caddy-docker-proxy's processing of the sorted top-level blocks with a real Caddy, then
 * validates what it would keep.
 */
export async function validateBlocks(blocks: readonly Block[], binary: CaddyBinary = defaultCaddyBinary()): Promise<ValidationResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dokku-stack-caddy-'))
  try {
    const version = await caddyVersion(binary)
    const sorted = cloneBlocks(blocks)
    marshal(sorted)
    const kept: Block[] = []
    const dropped: DroppedBlock[] = []
    for (const candidate of sorted) {
      const result = await adaptCaddyfile(marshal(cloneBlocks([...kept, candidate])), { validate: false, binary, dir })
      if (result.ok) kept.push(candidate)
      else dropped.push({ head: marshal(cloneBlocks([{ ...candidate, children: [] }])).trim() + (candidate.children.length > 0 ? ' {' : ''), keys: [...candidate.keys], error: result.error })
    }
    const validate = await adaptCaddyfile(marshal(cloneBlocks(kept)), { validate: true, binary, dir })
    return { caddyVersion: version, dropped, validate }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
