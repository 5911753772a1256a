// globalSetup of the integration project, after test/sandbox/global-setup.ts: registers the shared
// sandboxes' secrets (its SSH client keys, the PostgreSQL admin password, the S3 secret key) for the
// secret scan. Secrets the simulator generates later (service passwords, DSNs) are registered when an
// action masks them (secret-registry.ts captureTestOutput).
import { readFileSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { registerTestSecret } from './secret-registry.ts'

export default function setup(project: TestProject): void {
  for (const sandbox of project.getProvidedContext().sandboxes ?? []) {
    for (const [name, user] of Object.entries(sandbox.users)) registerTestSecret(`sandbox ${name} SSH private key`, readFileSync(user.privateKeyPath, 'utf8'))
    registerTestSecret('sandbox PostgreSQL admin password', sandbox.postgres.adminPassword)
    registerTestSecret('sandbox S3 secret access key', sandbox.s3.secretAccessKey)
  }
}
