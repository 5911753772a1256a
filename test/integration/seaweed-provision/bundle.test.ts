// The built bundle, spawned as the runner does (INPUT_* environment, output and summary files),
// against the sandbox host: no generated secret in anything it prints or writes, except in the
// ::add-mask:: commands that tell the runner to mask it. Needs `npm run bundle` (CI rebuilds dist/).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sharedSandbox } from '../../sandbox/global-setup.ts'
import { runBundle } from '../../support/bundle-run.js'
import { config, deployTinyApp, inputsFor } from '../dokku-service/helpers.ts'

const sandbox = sharedSandbox()
const store = 'sw-bn-store'
const app = 'sw-bn-app'
const adminPassword = 'admin-ui-password-0123456789'

describe('seaweed-provision bundle', () => {
  it('provisions through dist/ and never prints a generated secret', async () => {
    await deployTinyApp(sandbox, app)
    const dir = await mkdtemp(join(tmpdir(), 'sw-bundle-'))
    try {
      const summaryFile = join(dir, 'summary')
      await writeFile(summaryFile, '')
      const inputs = inputsFor(sandbox, { app: store, endpoint: await sandbox.appUrl(store), buckets: 'sw-bn-data', access: `${app} sw-bn-data readwrite`, 'admin-password': adminPassword })
      const result = await runBundle('seaweed-provision', inputs, { GITHUB_STEP_SUMMARY: summaryFile }, 240_000)
      const summary = await readFile(summaryFile, 'utf8')
      expect(result.code, result.stdout + result.stderr).toBe(0)
      expect(result.outputs).toMatchObject({ app: store, changed: 'true', 'self-test': 'passed', identities: app })

      const storeConfig = await config(sandbox, store)
      const appConfig = await config(sandbox, app)
      expect(storeConfig.WEED_ADMIN_PASSWORD).toBe(adminPassword)
      const secrets = [storeConfig.AWS_SECRET_ACCESS_KEY, storeConfig.DOKKU_STACK_BACKUP_SECRET_ACCESS_KEY, appConfig.AWS_SECRET_ACCESS_KEY, adminPassword] as string[]
      for (const secret of secrets) expect(secret.length).toBeGreaterThan(16)
      const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'))
      const printed = [result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n'), result.stderr, summary, JSON.stringify(result.outputs)].join('\n')
      for (const secret of secrets) {
        expect(printed).not.toContain(secret)
        expect(masks).toContain(`::add-mask::${secret}`)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 300_000)
})
