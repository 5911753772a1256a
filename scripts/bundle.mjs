// Builds one ncc bundle per action into dist/<name>/. `-C` (no cache) is what makes the
// output byte-identical across machines; licenses are collected per bundle.
import { execFileSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const actions = readdirSync(join(root, 'src/actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort()

rmSync(join(root, 'dist'), { recursive: true, force: true })
for (const name of actions) {
  execFileSync(
    join(root, 'node_modules/.bin/ncc'),
    ['build', `src/actions/${name}/index.ts`, '-o', `dist/${name}`, '-C', '-q', '--license', 'licenses.txt'],
    { cwd: root, stdio: 'inherit' }
  )
}
console.log(`bundled ${actions.length} actions: ${actions.join(', ')}`)
