import { InputReader } from '../../src/core/inputs/readers.js'

/** An InputReader over a plain map, as the runner would present `with:` values. */
export function inputsFrom(values: Record<string, string>): InputReader {
  return new InputReader((name) => values[name] ?? '')
}

/** Runs fn and returns what it wrote to stdout (where @actions/core writes workflow commands such as ::add-mask::). */
export function captureStdout(fn: () => void): string {
  const capture = startCapture()
  try {
    fn()
  } finally {
    capture.stop()
  }
  return capture.text()
}

/** The same for a function that returns a promise: stdout is captured until it settles. */
export async function captureStdoutAsync(fn: () => Promise<unknown>): Promise<string> {
  const capture = startCapture()
  try {
    await fn()
  } finally {
    capture.stop()
  }
  return capture.text()
}

function startCapture(): { stop(): void; text(): string } {
  const chunks: string[] = []
  const original = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
    return true
  }) as typeof process.stdout.write
  return { stop: () => (process.stdout.write = original), text: () => chunks.join('') }
}
