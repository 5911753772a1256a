// App-name checks shared by every app-scoped command (dokku's verify_app_name / Go VerifyAppName).
import { appExists } from './store.ts'
import type { Ctx } from './ctx.ts'

export const APP_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/
export const INVALID_APP_NAME =
  'App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens'

export function isValidAppName(ctx: Ctx, app: string): void {
  if (app === '') return ctx.fail('APP must not be null')
  if (!APP_NAME_RE.test(app)) return ctx.fail(INVALID_APP_NAME)
}

/** empty → 1 "Please specify…", invalid → 1, missing → 20 "App X does not exist" */
export function verifyApp(ctx: Ctx, app: string | undefined): string {
  if (app === undefined || app === '') return ctx.fail('Please specify an app to run the command on')
  if (!APP_NAME_RE.test(app)) return ctx.fail(INVALID_APP_NAME)
  if (!appExists(ctx, app)) return ctx.fail(`App ${app} does not exist`, 20)
  return app
}
