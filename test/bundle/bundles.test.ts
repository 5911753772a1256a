import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { actionMetadataFiles, repoRoot } from '../support/actions.js'

// Spawns every committed bundle exactly as the runner does (node24, INPUT_* environment,
// a GITHUB_OUTPUT file), which is what catches ESM/`__dirname` crashes a unit suite hides.

interface Spawned {
  code: number | null
  stdout: string
  stderr: string
  outputs: string
}

const bundles = actionMetadataFiles().map((file) => {
  const meta = parse(readFileSync(file, 'utf8')) as { runs: { main: string } }
  const main = resolve(dirname(file), meta.runs.main)
  return { name: main.replace(`${repoRoot}/dist/`, '').replace('/index.js', ''), main }
})

let work: string
let privateKey: string
let fingerprint: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bundle-smoke-'))
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'smoke', '-f', join(work, 'id')])
  privateKey = readFileSync(join(work, 'id'), 'utf8')
  fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(work, 'id.pub')], { encoding: 'utf8' }).split(' ')[1] as string
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

function runBundle(main: string, inputs: Record<string, string>): Promise<Spawned> {
  const outputFile = join(work, `out-${Math.random().toString(36).slice(2)}`)
  writeFileSync(outputFile, '')
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, GITHUB_OUTPUT: outputFile, RUNNER_TEMP: work }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', fail)
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr, outputs: readFileSync(outputFile, 'utf8') })
    })
  })
}

describe.each(bundles)('dist/$name/index.js', ({ name, main }) => {
  it('starts on this Node (24) and fails with a clear error when a required input is missing', async () => {
    expect(process.versions.node.split('.')[0]).toBe('24')
    const result = await runBundle(main, { 'ssh-private-key': privateKey, 'ssh-host-key': fingerprint })
    expect(result.stderr).not.toMatch(/ReferenceError|__dirname|ERR_/)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(`::error::${name}: invalid configuration: Input "host" is required and was not supplied.`)
    expect(result.outputs).toBe('')
  })

  it('refuses an unpinned host key before connecting, naming the fix', async () => {
    const result = await runBundle(main, { host: '127.0.0.1', 'ssh-private-key': privateKey })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(`::error::${name}: invalid configuration: Input "ssh-host-key" is required`)
    expect(result.stdout).toContain('ssh-keyscan -p 22 127.0.0.1')
  })

  it('masks the private key and never prints it', async () => {
    const result = await runBundle(main, { host: '127.0.0.1', 'ssh-private-key': privateKey, 'ssh-host-key': fingerprint, 'ssh-port': 'twenty-two' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('::error::')
    const keyBody = privateKey.split('\n')[1] as string
    const unmasked = (result.stdout + result.stderr).split('\n').filter((line) => !line.startsWith('::add-mask::'))
    expect(unmasked.join('\n')).not.toContain(keyBody)
    expect(result.stdout).toContain(`::add-mask::${keyBody}`)
  })
})

// The actions run on Linux runners: dist/ carries JavaScript, its licences and package.json,
// never an executable or a native addon someone auditing it would have to explain
// (scripts/bundle.mjs keeps ssh2's Windows-only pagent.exe out).
describe('dist/', () => {
  it('holds no executable, native addon or shared library', () => {
    const files = readdirSync(join(repoRoot, 'dist'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).replace(`${repoRoot}/`, ''))
    expect(files.length).toBeGreaterThan(0)
    expect(files.filter((file) => /\.(exe|node|dll|so|dylib)$/i.test(file))).toEqual([])
    for (const file of files) expect(statSync(join(repoRoot, file)).mode & 0o111, `${file} is executable`).toBe(0)
  })
})
