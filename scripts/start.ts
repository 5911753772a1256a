// `npm start`, the README's main job: a fresh sandbox host, the example deploy workflow run
// against it twice (see test/sandbox/main-job.ts), then the sandbox stopped.
import { startSandbox } from '../test/sandbox/harness/sandbox.ts'
import { runMainJob } from '../test/sandbox/main-job.ts'

const say = (line: string): void => void process.stdout.write(`${line}\n`)

say('Starting the sandbox host (real sshd, PostgreSQL, Redis and S3 server; simulated Dokku)…')
const sandbox = await startSandbox()
try {
  const result = await runMainJob(sandbox, say)
  say(result.ok ? '\nThe main job succeeded against the sandbox host.' : '\nThe main job failed.')
  process.exitCode = result.ok ? 0 : 1
} finally {
  await sandbox.stop()
}
