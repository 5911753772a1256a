import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseOutputFile } from '../sandbox/workflow-runner.ts'
import { repoRoot } from './actions.js'
import { applyMasks, captureTestOutput, maskedValues } from './secret-registry.ts'

export interface BundleRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

/** Spawns dist/<action>/index.js as the runner does: INPUT_* environment and a GITHUB_OUTPUT file. */
export async function runBundle(
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
  /** Told what the bundle printed so far, as it prints it (to act on a line while it runs). */
  onStdout?: (soFar: string) => void
): Promise<BundleRun> {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-run-'))
  const outputFile = join(dir, 'output')
  await writeFile(outputFile, '')
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RUNNER_TEMP: dir, GITHUB_OUTPUT: outputFile, ...env }
  for (const [name, value] of Object.entries(inputs)) childEnv[`INPUT_${name.toUpperCase()}`] = value
  try {
    return await new Promise<BundleRun>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', action, 'index.js')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        onStdout?.(stdout)
      })
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.on('error', reject)
      child.on('close', async (code) => {
        clearTimeout(timer)
        const outputText = await readFile(outputFile, 'utf8')
        captureTestOutput(`bundle-${action}`, [stdout, stderr, applyMasks(outputText, maskedValues(stdout))].join('\n'))
        resolve({ code, stdout, stderr, outputs: parseOutputFile(outputText) })
      })
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export interface SpawnedBundle {
  child: ChildProcess
  log: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * dist/<action>/index.js started as the runner does (INPUT_* variables, output and summary files
 * in a directory of its own under `workDir`), left running for the test to kill or cut. Bounded:
 * it is SIGKILLed after `limitMs` should it neither be killed nor end by itself.
 */
export function spawnBundle(workDir: string, action: string, inputs: Record<string, string>, limitMs = 120_000): SpawnedBundle {
  const dir = mkdtempSync(join(workDir, 'run-'))
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RUNNER_TEMP: dir, GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') }
  writeFileSync(join(dir, 'output'), '')
  writeFileSync(join(dir, 'summary'), '')
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const child = spawn(process.execPath, [join(repoRoot, 'dist', action, 'index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()))
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(limit)
      captureTestOutput(`bundle-${action}`, log)
      resolve({ code, signal })
    })
  )
  // Without the runner's mask commands, which carry the very values they mask (a slice of the log in a message must show none).
  return { child, log: () => log.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n'), exited }
}
