// Every action's inputs that reach the host, the runner's shell or a URL. A new action adds its
// table in a file beside these and one line here; the hostile-input tests pick it up.
import { backupRunInputs } from './backup-run.ts'
import { backupRunMigrateInputs } from './backup-run-migrate.ts'
import { caddyConfigInputs } from './caddy-config.ts'
import { commonInputs } from './common.ts'
import { dokkuDeployInputs } from './dokku-deploy.ts'
import { dokkuServiceInputs } from './dokku-service.ts'
import { seaweedProvisionInputs } from './seaweed-provision.ts'
import type { ActionInputTable } from './types.ts'

export type { ActionInputTable, Destination, HostFixture, InputCase } from './types.ts'
export { inputVariable } from './types.ts'

export const INPUT_TABLES: readonly ActionInputTable[] = [
  commonInputs,
  dokkuDeployInputs,
  dokkuServiceInputs,
  backupRunInputs,
  backupRunMigrateInputs,
  seaweedProvisionInputs,
  caddyConfigInputs
  // the stack file: add its table here.
]
