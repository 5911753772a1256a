// Builds one ncc bundle per action into dist/<name>/. `-C` (no cache) is what makes the
// output byte-identical across machines; licenses are collected per bundle.
//
// ncc copies every file it sees a module locate with `path.resolve(__dirname, …)`. ssh2's
// PageantAgent does so for util/pagent.exe, its helper for Pageant on Windows: the actions run
// on Linux runners and never use an SSH agent, so the file is removed from each bundle rather
// than shipped six times for anyone auditing dist/ to explain. Any other executable or native
// addon that appears fails the build (test/bundle checks dist/ too).
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
  rmSync(join(root, 'dist', name, 'pagent.exe'), { force: true })
  const binaries = readdirSync(join(root, 'dist', name), { recursive: true }).filter((file) => /\.(exe|node|dll|so|dylib)$/i.test(String(file)))
  if (binaries.length > 0) {
    console.error(`dist/${name} would ship binaries: ${binaries.join(', ')}. Keep them out of the bundle (see the comment at the top of scripts/bundle.mjs).`)
    process.exit(1)
  }
}
console.log(`bundled ${actions.length} actions: ${actions.join(', ')}`)
