// Writes the inputs and outputs tables of every actions/<name>/README.md from its action.yml, the
// one place where inputs are declared: `node --no-warnings scripts/readme-tables.ts`.
// The tables sit between <!-- inputs --> … <!-- /inputs --> and <!-- outputs --> … <!-- /outputs -->
// markers; the rest of each README is left as written. A README without markers gets an
// "Inputs and outputs" section at its end; an action without a README gets one with its name and
// description. test/unit/readme-tables.test.ts checks that every table matches its action.yml.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

interface ActionYaml {
  name: string
  description: string
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>
  outputs?: Record<string, { description: string }>
}

const NOTE = 'generated from action.yml by scripts/readme-tables.ts: edit action.yml, then run it'

/** One line, pipes escaped, and `<name>` outside code spans shown as text rather than taken for HTML. */
function cell(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim()
  return line
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;')))
    .join('')
}

/** `(required)`, the default in backticks, or nothing when the default is empty. */
export function defaultCell(input: { required?: boolean; default?: string }): string {
  if (input.default === undefined || input.default === '') return input.required ? '(required)' : ''
  return `\`${input.default}\``
}

export function renderInputs(meta: ActionYaml): string {
  const rows = Object.entries(meta.inputs ?? {}).map(([name, input]) => `| \`${name}\` | ${defaultCell(input)} | ${cell(input.description)} |`)
  return [`<!-- inputs: ${NOTE} -->`, '| input | default | description |', '|---|---|---|', ...rows, '<!-- /inputs -->'].join('\n')
}

export function renderOutputs(meta: ActionYaml): string {
  const entries = Object.entries(meta.outputs ?? {})
  const body = entries.length === 0 ? ['This action sets no outputs.'] : ['| output | description |', '|---|---|', ...entries.map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`)]
  return [`<!-- outputs: ${NOTE} -->`, ...body, '<!-- /outputs -->'].join('\n')
}

function replaceBlock(text: string, tag: string, block: string): string | undefined {
  const start = text.indexOf(`<!-- ${tag}:`)
  const endMarker = `<!-- /${tag} -->`
  const end = text.indexOf(endMarker)
  if (start === -1 || end === -1) return undefined
  return text.slice(0, start) + block + text.slice(end + endMarker.length)
}

export function updateReadme(readme: string | undefined, meta: ActionYaml, name: string): string {
  const inputs = renderInputs(meta)
  const outputs = renderOutputs(meta)
  let text = readme ?? `# ${name}\n\n${meta.description}\n`
  const withInputs = replaceBlock(text, 'inputs', inputs)
  const withBoth = withInputs === undefined ? undefined : replaceBlock(withInputs, 'outputs', outputs)
  if (withBoth !== undefined) return withBoth
  text = `${text.trimEnd()}\n\n## Inputs\n\n${inputs}\n\n## Outputs\n\n${outputs}\n`
  return text
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  for (const name of readdirSync(join(root, 'actions')).sort()) {
    const metaPath = join(root, 'actions', name, 'action.yml')
    if (!existsSync(metaPath)) continue
    const meta = parse(readFileSync(metaPath, 'utf8')) as ActionYaml
    const readmePath = join(root, 'actions', name, 'README.md')
    const before = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined
    const after = updateReadme(before, meta, name)
    if (after !== before) {
      writeFileSync(readmePath, after)
      console.log(`${before === undefined ? 'created' : 'updated'} actions/${name}/README.md`)
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
