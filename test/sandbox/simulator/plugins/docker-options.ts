// docker-options:* — add (duplicates kept on 0.38, de-duplicated up to 0.37), remove, clear, list, report.
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { verifyApp } from '../core/names.ts'
import { loadApp, updateApp } from '../core/store.ts'
import { goJson, parseFlags } from '../core/format.ts'
import { runGoReport } from './apps.ts'

const PHASES = ['build', 'deploy', 'run'] as const
type Phase = (typeof PHASES)[number]

/** shell words without expansion */
export function shellWords(text: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: string | null = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote) {
      if (c === quote) quote = null
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i]
      else cur += c
      continue
    }
    if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) words.push(cur)
  return words
}

function quoteWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`
}

/** split an option string at flag boundaries into canonical entries */
function splitOptions(ctx: Ctx, text: string): string[] {
  if (!ctx.atLeast('0.38.0')) return [text]
  const entries: string[][] = []
  for (const w of shellWords(text)) {
    if (w.startsWith('-') || entries.length === 0) entries.push([w])
    else entries[entries.length - 1]?.push(w)
  }
  return entries.map((e) => e.map(quoteWord).join(' '))
}

function parsePhases(ctx: Ctx, text: string): Phase[] {
  const phases = text.split(',')
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) return ctx.fail(`Phase(s) must be one of [build deploy run]`)
  return phases as Phase[]
}

export function addOptions(ctx: Ctx, app: string, phases: Phase[], option: string, processes: string[] = []): void {
  const entries = splitOptions(ctx, option)
  updateApp(ctx, app, (s) => {
    // --process (0.38+, deploy phase only, docs/dokku-contract.md#docker-options-add): stored per process type, apart from the
    // default scope (dokku v0.38.27 dockeroptions.go AddDockerOptionToProcessPhases).
    if (processes.length > 0) {
      const scoped = (s.dockerOptionsProcess ??= {})
      for (const proc of processes) scoped[proc] = [...(scoped[proc] ?? []), ...entries].sort()
      return
    }
    for (const p of phases) {
      const list = [...s.dockerOptions[p], ...entries].sort()
      s.dockerOptions[p] = ctx.atLeast('0.38.0') ? list : [...new Set(list)]
    }
  })
}

export function removeOptions(ctx: Ctx, app: string, phases: Phase[], option: string, processes: string[] = []): void {
  const targets = splitOptions(ctx, option).map((e) => shellWords(e).join('\u0000'))
  const keep = (list: string[]): string[] => list.filter((e) => !targets.includes(shellWords(e).join('\u0000')))
  updateApp(ctx, app, (s) => {
    if (processes.length > 0) {
      const scoped = (s.dockerOptionsProcess ??= {})
      for (const proc of processes) {
        const left = keep(scoped[proc] ?? [])
        if (left.length > 0) scoped[proc] = left
        else delete scoped[proc]
      }
      return
    }
    for (const p of phases) s.dockerOptions[p] = keep(s.dockerOptions[p])
  })
}

/** The --process values (0.38+), validated like dokku's ValidateProcessFlag: deploy phase only. */
function processFlags(ctx: Ctx, f: ReturnType<typeof parseFlags>, phases: Phase[]): string[] {
  const processes = [...new Set(f.arrays.get('process') ?? [])]
  if (processes.length === 0) return processes
  for (const proc of processes) {
    if (proc === '') return ctx.fail('--process value must not be empty')
    if (proc === '_default_') return ctx.fail('"_default_" is reserved and cannot be used as a --process value')
  }
  for (const phase of phases) if (phase !== 'deploy') return ctx.fail(`--process is only supported for the deploy phase, got "${phase}"`)
  return processes
}

const add: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'docker-options:add', args, ctx.atLeast('0.38.0') ? { arrays: ['process'], stopAtPositional: true } : { stopAtPositional: true })
  const app = verifyApp(ctx, f.positional[0])
  const phases = parsePhases(ctx, f.positional[1] ?? '')
  const option = f.positional.slice(2).join(' ')
  if (option.trim() === '') return ctx.fail('Please specify docker options to add to the phase')
  addOptions(ctx, app, phases, option, processFlags(ctx, f, phases))
}

const remove: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'docker-options:remove', args, ctx.atLeast('0.38.0') ? { arrays: ['process'], stopAtPositional: true } : { stopAtPositional: true })
  const app = verifyApp(ctx, f.positional[0])
  const phases = parsePhases(ctx, f.positional[1] ?? '')
  const option = f.positional.slice(2).join(' ')
  if (option.trim() === '') return ctx.fail('Please specify docker options to remove from the phase')
  removeOptions(ctx, app, phases, option, processFlags(ctx, f, phases))
}

const clear: Handler = (ctx, args) => {
  const app = verifyApp(ctx, args[0])
  const phases = args[1] ? parsePhases(ctx, args[1]) : [...PHASES]
  if (args[1]) ctx.info1(`Clearing docker-options for ${app} on phase ${args[1]}`)
  else ctx.info1(`Clearing docker-options for ${app} on all phases`)
  updateApp(ctx, app, (s) => {
    for (const p of phases) s.dockerOptions[p] = []
  })
}

const list: Handler = (ctx, args) => {
  const f = parseFlags(ctx, 'docker-options:list', args, { strings: ['phase', 'format'] })
  const app = verifyApp(ctx, f.positional[0])
  const s = loadApp(ctx, app)
  const phases = f.strings.get('phase') ? parsePhases(ctx, f.strings.get('phase') as string) : [...PHASES]
  if (f.strings.get('format') === 'json') {
    ctx.out(goJson(Object.fromEntries(phases.map((p) => [p, s.dockerOptions[p]]))))
    return
  }
  for (const p of phases) for (const o of s.dockerOptions[p]) ctx.out(o)
}

function reportFlags(ctx: Ctx, app: string): Record<string, string> {
  const s = loadApp(ctx, app)
  const flags: Record<string, string> = {
    '--docker-options-build': s.dockerOptions.build.join(' '),
    '--docker-options-deploy': s.dockerOptions.deploy.join(' '),
    '--docker-options-run': s.dockerOptions.run.join(' ')
  }
  // one flag per process type with scoped options (dokku v0.38.27 report.go)
  for (const [proc, list] of Object.entries(s.dockerOptionsProcess ?? {})) if (list.length > 0) flags[`--docker-options-deploy.${proc}`] = list.join(' ')
  return flags
}

const report: Handler = (ctx, args) => {
  const json = args.includes('--format') && args[args.indexOf('--format') + 1] === 'json' && ctx.atLeast('0.38.0')
  const app = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--format')
  const infoFlag = args.some((a) => a.startsWith('--') && a !== '--format' && a !== '--global')
  if (json && app !== undefined && !infoFlag) {
    // docs/dokku-contract.md#docker-options-report: the JSON report adds build-list, deploy-list, run-list arrays (the stored entries),
    // and deploy.<process>-list for scoped options (report.go buildJSONReportData).
    const name = verifyApp(ctx, app)
    const s = loadApp(ctx, name)
    const data: Record<string, unknown> = {}
    for (const [flag, value] of Object.entries(reportFlags(ctx, name))) {
      data[flag.slice('--docker-options-'.length)] = value
      data[flag.slice(2)] = value
    }
    for (const phase of PHASES) data[`${phase}-list`] = s.dockerOptions[phase]
    for (const [proc, list] of Object.entries(s.dockerOptionsProcess ?? {})) if (list.length > 0) data[`deploy.${proc}-list`] = list
    ctx.out(goJson(data))
    return
  }
  runGoReport(ctx, args, {
    plugin: 'docker-options',
    type: 'docker-options',
    emitLegacy: true,
    globalFlags: () => ({}),
    appFlags: (name) => reportFlags(ctx, name)
  })
}

export const commands: Record<string, Handler> = {
  'docker-options:add': add,
  'docker-options:remove': remove,
  'docker-options:clear': clear,
  'docker-options:list': list,
  'docker-options:report': report
}
