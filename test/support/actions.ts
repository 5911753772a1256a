import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

/** Absolute paths of the root action.yml and every actions/<name>/action.yml. */
export function actionMetadataFiles(): string[] {
  const subActions = readdirSync(join(repoRoot, 'actions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(repoRoot, 'actions', entry.name, 'action.yml'))
  return [join(repoRoot, 'action.yml'), ...subActions].sort()
}
