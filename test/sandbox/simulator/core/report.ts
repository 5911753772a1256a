// The shape every `X:report` shares (docs/dokku-contract.md#reports): `--global`, every app in turn (with the
// "no apps" warning, exit 0), or one app (exit 20 when it is missing).
import type { Ctx } from './ctx.ts'
import { bashReport, goReport, type ReportArgs } from './format.ts'
import { verifyApp } from './names.ts'
import { listApps } from './store.ts'

export type Flags = Array<[string, string]>

export function eachReport(ctx: Ctx, r: ReportArgs, globalFlags: Flags, appFlags: (app: string) => Flags, render: (name: string, flags: Flags) => void): void {
  if (r.global) return render('--global', globalFlags)
  if (r.app === '') {
    const apps = listApps(ctx)
    if (apps.length === 0) {
      ctx.warn("You haven't deployed any applications yet")
      return
    }
    for (const app of apps) render(app, appFlags(app))
    return
  }
  const app = verifyApp(ctx, r.app)
  render(app, appFlags(app))
}

/** domains, caddy, checks and git reports were bash until 0.38.21 and Go from 0.38.22 (docs/dokku-contract.md#reports, #versions). */
export function migratedRender(ctx: Ctx, type: string, r: ReportArgs, modern: boolean): (name: string, flags: Flags) => void {
  return (name, flags) => {
    if (modern) goReport(ctx, { type, name, flags: Object.fromEntries(flags), infoFlag: r.infoFlag, format: r.format, trimPrefix: true, emitLegacy: false, ucFirst: true })
    else bashReport(ctx, name === '--global' ? `Global ${type} information` : `${name} ${type} information`, flags, r.infoFlag)
  }
}
