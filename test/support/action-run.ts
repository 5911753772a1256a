import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunContext } from '../../src/core/github/context.js'
import { InputReader } from '../../src/core/inputs/readers.js'
import { RecordingLogger, type Logger } from '../../src/core/log.js'
import { redact } from '../../src/core/secrets.js'
import { htmlToText, parseOutputFile } from '../sandbox/workflow-runner.ts'
import { applyMasks, captureTestOutput, maskedValues } from './secret-registry.ts'

export interface ActionRun {
  error: Error | undefined
  /** What the action logged (through the Logger). */
  log: string
  /** Everything written to stdout meanwhile (workflow commands), without ::add-mask:: lines. */
  stdout: string
  /** The same with the ::add-mask:: lines: proof that a secret was masked. */
  rawStdout: string
  outputs: Record<string, string>
  summary: string
  /** Log, stdout without mask commands, summary and error: where no secret may appear. Outputs are apart: a masked output may be a secret by design (a DSN). */
  everything: string
}

type RunFn = (inputs: InputReader, context: RunContext, logger: Logger) => Promise<void>

/**
 * Runs an action's `run()` in this process the way the runner would call it: inputs by name,
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files, stdout captured.
 */
export async function runAction(run: RunFn, inputs: Record<string, string>, context: Partial<RunContext> = {}): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'action-run-'))
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_STATE: join(dir, 'state') }
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
  const saved = Object.fromEntries(Object.keys(files).map((k) => [k, process.env[k]]))
  Object.assign(process.env, files)
  const chunks: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
    return true
  }) as typeof process.stdout.write
  const logger = new RecordingLogger()
  const fullContext: RunContext = {
    eventName: 'push',
    sha: undefined,
    repository: undefined,
    pullRequest: undefined,
    workspace: process.cwd(),
    runUrl: undefined,
    apiUrl: 'http://127.0.0.1:9',
    ...context
  }
  let error: Error | undefined
  try {
    await run(new InputReader((name) => inputs[name] ?? ''), fullContext, logger)
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e))
  } finally {
    process.stdout.write = write
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const outputFile = await readFile(files.GITHUB_OUTPUT, 'utf8')
  const summaryFile = await readFile(files.GITHUB_STEP_SUMMARY, 'utf8')
  const outputs = parseOutputFile(outputFile)
  const summary = htmlToText(summaryFile)
  await rm(dir, { recursive: true, force: true })
  const rawStdout = chunks.join('')
  // For the secret scan: what the runner would show, outputs the action masked shown masked. In this
  // process a secret is masked once (the registry remembers it), so earlier runs' masks apply too.
  captureTestOutput('action-run', [rawStdout, logger.text(), summaryFile, applyMasks(redact(outputFile), maskedValues(rawStdout)), error?.message ?? ''].join('\n'))
  const stdout = rawStdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
  const log = logger.text()
  return { error, log, stdout, rawStdout, outputs, summary, everything: [log, stdout, summary, error?.message ?? ''].join('\n') }
}
