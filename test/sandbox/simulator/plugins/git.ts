// git plugin: git-receive-pack/git-upload-pack (the forced-command path of `git push`),
// git-hook (the pre-receive hook), git:from-image, git:from-archive, git:sync, git:set,
// git:report.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Ctx } from '../core/ctx.ts'
import type { Handler } from '../core/types.ts'
import { APP_NAME_RE, INVALID_APP_NAME, verifyApp } from '../core/names.ts'
import { appDir, appExists, loadApp, loadGlobal, prop, readJson, setProp, updateApp, updateGlobal, writeFileShared } from '../core/store.ts'
import { computedDeployBranch } from '../core/appinfo.ts'
import { cleanGitEnv, git, gitOk } from '../core/git.ts'
import { gitReceiveApp, hookEcho, startBuildCapture } from '../core/deploy.ts'
import { bashReport, goReport, parseReportArgs } from '../core/format.ts'
import { createApp, makeShared, writePreReceiveHook } from './apps.ts'
import { eachReport } from '../core/report.ts'

function maybeCreate(ctx: Ctx, app: string): void {
  if (appExists(ctx, app)) return
  if (prop(loadGlobal(ctx), 'apps', 'disable-autocreation') === 'true') {
    ctx.warn('App auto-creation disabled.')
    ctx.fail(`Re-enable app auto-creation or create an app with 'dokku apps:create ${app}'`)
  }
  const quiet = ctx.quiet
  const { stdout } = ctx
  // SuppressOutput: the app is created silently (stdout is the git protocol here)
  ctx.stdout = () => undefined
  ctx.quiet = true
  try {
    createApp(ctx, app)
  } finally {
    ctx.stdout = stdout
    ctx.quiet = quiet
  }
}

/** cmd-git-glob / cmd-git-upload-pack: strip quotes and a leading '/', create, run real git. */
export async function glob(ctx: Ctx, command: string, args: string[]): Promise<number> {
  const app = (args[0] ?? '').replace(/(?<!\\)'/g, '').replace(/\\'/g, "'").replace(/^\//, '')
  if (!appExists(ctx, app) && !APP_NAME_RE.test(app)) return ctx.fail(app === '' ? 'APP must not be null' : INVALID_APP_NAME)
  const path = appDir(ctx, app)
  if (command === 'git-receive-pack') {
    if (!existsSync(join(path, 'refs'))) {
      maybeCreate(ctx, app)
      writePreReceiveHook(ctx, app)
    }
    return run('git-shell', ['-c', `git-receive-pack '${path}'`], ctx, app)
  }
  if (command === 'git-upload-pack') {
    maybeCreate(ctx, app)
    return run('git-upload-pack', [path], ctx, app)
  }
  return run('git-shell', ['-c', [command, ...args].join(' ')], ctx, app)
}

function run(cmd: string, args: string[], ctx: Ctx, app: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, DOKKU_SANDBOX_ROOT: ctx.root } })
    child.on('exit', (code) => {
      if (existsSync(appDir(ctx, app))) makeShared(appDir(ctx, app))
      resolve(code ?? 1)
    })
    child.on('error', () => resolve(1))
  })
}

export function deploySourceSet(ctx: Ctx, app: string, source: string, metadata: string): void {
  updateApp(ctx, app, (s) => {
    setProp(s, 'apps', 'deploy-source', source)
    setProp(s, 'apps', 'deploy-source-metadata', metadata)
    if (source !== 'docker-image') setProp(s, 'git', 'source-image', undefined)
  })
}

function readStdin(): Buffer {
  try {
    return readFileSync(0)
  } catch {
    return Buffer.alloc(0)
  }
}

const hook: Handler = async (ctx, args) => {
  const app = args[0] ?? ''
  startBuildCapture(ctx, app, 'git-hook')
  if (!appExists(ctx, app) && !APP_NAME_RE.test(app)) return ctx.fail(INVALID_APP_NAME)
  const state = loadApp(ctx, app)
  const global = loadGlobal(ctx)
  const branch = computedDeployBranch(state, global)
  if (git(['check-ref-format', '--branch', branch]).status !== 0) {
    hookEcho(ctx, `-----> WARNING: Invalid branch name '${branch}' specified via deploy-branch setting.`)
    hookEcho(ctx, "-----> For more details, please see the man page for 'git-check-ref-format.'")
    return 0
  }
  const env = cleanGitEnv(true)
  for (const line of readStdin().toString('utf8').split('\n')) {
    const [, newrev = '', refname = ''] = line.trim().split(/\s+/)
    if (refname === '') continue
    if (refname === `refs/heads/${branch}` || refname === `refs/tags/${branch}`) {
      const code = await gitReceiveApp(ctx, app, newrev, env)
      if (code !== 0) return code
      deploySourceSet(ctx, app, 'git-push', newrev)
    } else if (computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx), '') === '') {
      const b = refname.replace('refs/heads/', '').replace('refs/tags/', '')
      hookEcho(ctx, `-----> Set ${b} as deploy-branch`)
      updateApp(ctx, app, (s) => setProp(s, 'git', 'deploy-branch', b))
      const code = await gitReceiveApp(ctx, app, newrev, env)
      if (code !== 0) return code
      deploySourceSet(ctx, app, 'git-push', newrev)
    } else {
      hookEcho(ctx, `-----> WARNING: deploy did not complete, you must push to ${branch}.`)
      hookEcho(ctx, `-----> for example, try 'git push <dokku> ${refname.replace('refs/heads/', '')}:${branch}'`)
    }
  }
  return 0
}

// ---- git-from-directory ----------------------------------------------------------------------

/** git-from-directory: commit the directory onto the deploy branch, then git_receive_app. */
async function fromDirectory(ctx: Ctx, app: string, srcDir: string, userName: string, userEmail: string): Promise<number> {
  const bare = appDir(ctx, app)
  const branch = computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))
  const hasCode = git(['--git-dir', bare, 'rev-parse', '--verify', '-q', branch]).status === 0
  ctx.info1('Updating git repository with specified build context')
  const ident = ['-c', `user.name=${userName}`, '-c', `user.email=${userEmail}`]
  const work = mkdtempSync(join(tmpdir(), 'dokku-sandbox-git-'))
  let rev: string
  try {
    const gitDir = join(work, '.git')
    if (!hasCode) {
      gitOk(['init', '-q', '-b', branch, '--separate-git-dir', gitDir, srcDir])
      rmSync(join(srcDir, '.git'), { force: true })
      const g = ['--git-dir', gitDir, '--work-tree', srcDir]
      gitOk([...g, 'add', '--all'])
      gitOk([...ident, ...g, 'commit', '-q', '--allow-empty', '-m', 'Initial commit'])
      rev = gitOk([...g, 'rev-parse', 'HEAD']).trim()
      if (!existsSync(join(bare, 'refs'))) writePreReceiveHook(ctx, app)
      gitOk(['--git-dir', bare, 'fetch', '-q', '--no-tags', gitDir, `refs/heads/${branch}:refs/heads/${branch}`])
      gitOk(['--git-dir', bare, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`])
      ctx.verbose(`Detected branch, setting deploy-branch to ${branch}`)
      updateApp(ctx, app, (s) => setProp(s, 'git', 'deploy-branch', branch))
    } else {
      gitOk(['clone', '-q', '--bare', bare, gitDir])
      gitOk(['--git-dir', gitDir, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`])
      const g = ['--git-dir', gitDir, '--work-tree', srcDir]
      gitOk([...g, 'config', 'core.bare', 'false'])
      gitOk([...g, 'read-tree', 'HEAD'])
      gitOk([...g, 'add', '--all'])
      git([...g, 'update-index', '-q', '--refresh'])
      if (git([...g, 'diff-index', '--quiet', '--cached', 'HEAD', '--']).status === 0) {
        ctx.warn('No changes detected, skipping git commit')
        ctx.warn("Call 'ps:rebuild' on app to rebuild the app from existing source")
        return 1
      }
      gitOk([...ident, ...g, 'commit', '-q', '-m', `Automated commit @ ${Math.floor(Date.now() / 1000)}`])
      rev = gitOk([...g, 'rev-parse', 'HEAD']).trim()
      gitOk(['--git-dir', bare, 'fetch', '-q', '--no-tags', gitDir, `+refs/heads/${branch}:refs/heads/${branch}`])
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
    makeShared(bare)
  }
  const code = await gitReceiveApp(ctx, app, rev)
  if (code !== 0) {
    if (!hasCode) git(['--git-dir', bare, 'update-ref', '-d', 'HEAD'])
    else git(['--git-dir', bare, 'update-ref', `refs/heads/${branch}`, `${branch}^`])
  }
  return code
}

// ---- git:from-image ------------------------------------------------------------------------

function imagesFile(ctx: Ctx): string {
  return ctx.path('state', 'images.json')
}

function pullImage(ctx: Ctx, image: string): boolean {
  const repo = image.split(/[:@]/)[0] as string
  if (repo.startsWith('missing/')) {
    const tag = image.includes('@') ? image.split('@')[1] : (image.split(':')[1] ?? 'latest')
    void tag
    ctx.err(`Error response from daemon: pull access denied for ${repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`)
    return false
  }
  const tag = image.includes('@') ? (image.split('@')[1] as string) : (image.split(':')[1] ?? 'latest')
  ctx.out(`${tag}: Pulling from ${repo}`)
  ctx.out(`Digest: sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`)
  ctx.out(`Status: Downloaded newer image for ${image}`)
  ctx.out(image.includes('/') ? image : `docker.io/library/${image}`)
  const images = readJson<string[]>(imagesFile(ctx), [])
  if (!images.includes(image)) writeFileShared(imagesFile(ctx), JSON.stringify([...images, image]))
  return true
}

const fromImage: Handler = async (ctx, args) => {
  const rest: string[] = []
  let buildDir: string | undefined
  let force = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--build-dir') {
      buildDir = args[++i]
      continue
    }
    if (a === '--force') {
      force = true
      continue
    }
    rest.push(a)
  }
  const [appArg, image, userName] = rest
  const app = verifyApp(ctx, appArg)
  if (!image) return ctx.fail('Please specify a docker image')
  startBuildCapture(ctx, app, 'git:from-image')
  const work = mkdtempSync(join(tmpdir(), 'dokku-sandbox-image-'))
  try {
    ctx.info1('Generating build context')
    if (buildDir !== undefined) {
      if (!existsSync(buildDir) || !statSync(buildDir).isDirectory()) return ctx.fail('Invalid BUILD_DIR specified for docker build context')
      ctx.verbose('Syncing build directory context')
      spawnSync('cp', ['-a', `${buildDir}/.`, work])
    }
    writeFileSync(join(work, 'Dockerfile'), `FROM ${image}\nLABEL com.dokku.docker-image-labeler/alternate-tags=[\\"${image}\\"]\n`)
    const present = readJson<string[]>(imagesFile(ctx), []).includes(image)
    if (!present) {
      ctx.info1('Pulling image')
      if (!pullImage(ctx, image)) return ctx.fail(`Failed to pull image: ${image}`)
    } else if (force || ctx.force) {
      ctx.info1('Force pulling image')
      if (!pullImage(ctx, image)) return ctx.fail(`Failed to pull image: ${image}`)
    } else ctx.info1('Image exists on host, skipping pull')
    updateApp(ctx, app, (s) => setProp(s, 'git', 'source-image', image))
    const code = await fromDirectory(ctx, app, work, userName ?? 'Dokku', userName ?? 'automated@dokku.sh')
    if (code !== 0) return code
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  deploySourceSet(ctx, app, 'docker-image', image)
  return 0
}

// ---- git:from-archive ----------------------------------------------------------------------

function archiveSecurity(ctx: Ctx, event: string, type: string, source: string, dest: string): void {
  if (!ctx.atLeast('0.38.2')) return
  const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  ctx.err(`[archive-security] timestamp=${ts} user=${userInfo().username} event=${event} archive_type=${type} source=${source} details=dest=${dest}`)
}

function checkArchiveEntries(ctx: Ctx, file: string, type: string): void {
  if (!ctx.atLeast('0.38.2')) return
  const listing = spawnSync('tar', type === 'tar.gz' ? ['-tzvf', file] : ['-tvf', file], { encoding: 'utf8' })
  for (const line of listing.stdout.split('\n')) {
    if (line.trim() === '') continue
    const parts = line.split(/\s+/)
    const rest = parts.slice(5).join(' ')
    const [name = '', target] = rest.split(' -> ')
    if (name.startsWith('/')) return ctx.fail('Archive contains entries with absolute paths')
    if (name.split('/').includes('..')) return ctx.fail('Archive contains entries with parent directory traversal')
    if (line.startsWith('l') && target !== undefined) {
      if (target.startsWith('/')) return ctx.fail('Archive contains symlinks with absolute targets')
      const depth = name.split('/').length - 1
      let level = depth
      for (const seg of target.split('/')) {
        if (seg === '..') level--
        else if (seg !== '.' && seg !== '') level++
        if (level < 0) return ctx.fail('Archive contains symlinks pointing outside extraction directory')
      }
    }
  }
}

const fromArchive: Handler = async (ctx, args) => {
  const rest: string[] = []
  let type = 'tar'
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--archive-type') {
      type = args[++i] ?? ''
      continue
    }
    rest.push(args[i] as string)
  }
  const [appArg, url, userName] = rest
  const app = verifyApp(ctx, appArg)
  if (!url) return ctx.fail('Please specify an archive url or -- to fetch the archive from stdin')
  startBuildCapture(ctx, app, 'git:from-archive')
  const t1 = mkdtempSync(join(tmpdir(), 'dokku-sandbox-archive-'))
  const t2 = mkdtempSync(join(tmpdir(), 'dokku-sandbox-archive-'))
  const t3 = mkdtempSync(join(tmpdir(), 'dokku-sandbox-archive-'))
  try {
    const src = join(t2, `src.${type}`)
    if (url === '--') {
      ctx.info1(`Fetching ${type} file from stdin`)
      const data = readStdin()
      writeFileSync(src, data)
      ctx.out(String(data.length))
    } else {
      ctx.info1(`Downloading ${type} file from ${url}`)
      const r = spawnSync('curl', ['-s', '-L', url, '-o', src], { encoding: 'utf8' })
      if (r.status !== 0) {
        ctx.err(`curl: (${r.status ?? 1}) Could not resolve host or read ${url}`)
        return r.status ?? 1
      }
    }
    const maxSize = Number(prop(loadGlobal(ctx), 'git', 'archive-max-size') || '1073741824')
    if (ctx.atLeast('0.38.2') && existsSync(src) && statSync(src).size > maxSize) return ctx.fail(`Archive exceeds maximum allowed size of ${maxSize} bytes`)
    ctx.info1('Generating build context')
    let extract
    if (type === 'tar') {
      const names = spawnSync('tar', ['-tf', src], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n !== '')
      let prefix = names[0] ?? ''
      for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1)
      const parts = (prefix.match(/\//g) ?? []).length
      ctx.verbose(`Striping ${parts} worth of directories from tarball`)
      checkArchiveEntries(ctx, src, 'tar')
      archiveSecurity(ctx, 'extraction_started', 'tar', src, t3)
      extract = spawnSync('tar', ['-xf', src, '-C', t3, `--strip-components=${parts}`], { encoding: 'utf8' })
      archiveSecurity(ctx, 'extraction_completed', 'tar', src, t3)
    } else if (type === 'tar.gz') {
      ctx.verbose('Extracting gzipped tarball')
      checkArchiveEntries(ctx, src, 'tar.gz')
      archiveSecurity(ctx, 'extraction_started', 'tar.gz', src, t3)
      extract = spawnSync('tar', ['-xzf', src, '-C', t3], { encoding: 'utf8' })
      archiveSecurity(ctx, 'extraction_completed', 'tar.gz', src, t3)
    } else if (type === 'zip') {
      ctx.verbose('Extracting zipball')
      extract = spawnSync('unzip', ['-o', '-d', t3, src], { encoding: 'utf8' })
      ctx.stdout(extract.stdout ?? '')
    }
    if (extract && extract.status !== 0 && extract.stderr) ctx.stderr(extract.stderr)
    const entries = readdirSync(t3)
    if (entries.length === 1 && statSync(join(t3, entries[0] as string)).isDirectory()) {
      ctx.verbose('Stripping top-level archive folder components')
      const sub = join(t3, entries[0] as string)
      for (const e of readdirSync(sub)) renameSync(join(sub, e), join(t1, e))
    } else {
      ctx.verbose('Moving unarchived files and folders into place')
      for (const e of entries) renameSync(join(t3, e), join(t1, e))
    }
    const code = await fromDirectory(ctx, app, t1, userName ?? 'Dokku', userName ?? 'automated@dokku.sh')
    if (code !== 0) return code
  } finally {
    for (const d of [t1, t2, t3]) rmSync(d, { recursive: true, force: true })
  }
  deploySourceSet(ctx, app, type, url)
  return 0
}

// ---- git:sync --------------------------------------------------------------------------------

const sync: Handler = async (ctx, args) => {
  let flag = ''
  let skipDeployBranch = false
  const rest: string[] = []
  for (const a of args) {
    if (a === '--build' || a === '--build-if-changes') flag = a
    else if (a === '--skip-deploy-branch') skipDeployBranch = true
    else rest.push(a)
  }
  const [appArg, remote, ref] = rest
  const app = verifyApp(ctx, appArg)
  if (!remote) return ctx.fail('Missing GIT_REMOTE parameter')
  if (flag !== '') startBuildCapture(ctx, app, 'git:sync')
  const bare = appDir(ctx, app)
  const branch = computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))
  const current = git(['--git-dir', bare, 'rev-parse', '--verify', '-q', branch]).stdout.trim()
  if (current === '') {
    const gitRef = ref || branch
    ctx.info1(`Cloning ${app} from ${remote}#${gitRef}`)
    const work = mkdtempSync(join(tmpdir(), 'dokku-sandbox-sync-'))
    try {
      const isBranch = git(['ls-remote', '--exit-code', '--heads', remote, gitRef]).status === 0
      gitOk(['clone', '-q', '-n', remote, work])
      if (isBranch) {
        gitOk(['-C', work, 'checkout', '-q', '-B', gitRef, `origin/${gitRef}`])
        if (!skipDeployBranch) {
          ctx.verbose(`Detected branch, setting deploy-branch to ${gitRef}`)
          updateApp(ctx, app, (s) => setProp(s, 'git', 'deploy-branch', gitRef))
        } else ctx.verbose(`Detected branch ${gitRef}, skipping deploy-branch setting`)
      } else gitOk(['-C', work, 'checkout', '-q', gitRef])
      const deployBranch = computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))
      const head = gitOk(['-C', work, 'rev-parse', 'HEAD']).trim()
      if (!existsSync(join(bare, 'refs'))) writePreReceiveHook(ctx, app)
      gitOk(['--git-dir', bare, 'fetch', '-q', '--no-tags', work, `+${head}:refs/heads/${deployBranch}`])
      gitOk(['--git-dir', bare, 'symbolic-ref', 'HEAD', `refs/heads/${deployBranch}`])
    } finally {
      rmSync(work, { recursive: true, force: true })
      makeShared(bare)
    }
  } else {
    ctx.verbose(`Fetching remote code for ${app} from ${remote}#${ref ?? branch}`)
    gitOk(['--git-dir', bare, 'fetch', '-q', '--no-tags', remote, `+refs/heads/*:refs/remotes/remote/*`])
    const target = ref ? git(['--git-dir', bare, 'rev-parse', '--verify', '-q', `remote/${ref}^{commit}`]).stdout.trim() || git(['--git-dir', bare, 'rev-parse', '--verify', '-q', `${ref}^{commit}`]).stdout.trim() : git(['--git-dir', bare, 'rev-parse', `remote/${branch}`]).stdout.trim()
    if (target === '') return ctx.fail(`Unable to resolve ${ref ?? branch}`)
    gitOk(['--git-dir', bare, 'update-ref', `refs/heads/${branch}`, target])
    makeShared(bare)
  }
  const updated = git(['--git-dir', bare, 'rev-parse', '--verify', '-q', computedDeployBranch(loadApp(ctx, app), loadGlobal(ctx))]).stdout.trim()
  if (flag === '') return 0
  if (flag === '--build-if-changes' && current === updated) {
    ctx.verbose('Skipping build as no changes were detected')
    return 0
  }
  const code = await gitReceiveApp(ctx, app, updated)
  if (code !== 0) return code
  deploySourceSet(ctx, app, 'git-sync', `${remote}#${updated}`)
  return 0
}

// ---- git:set / git:report ----------------------------------------------------------------

/**
 * `git:set`'s VALID_KEYS: `archive-max-files`/`archive-max-size` from 0.38.2 (dokku v0.38.2
 * plugins/git/subcommands/set); before, four keys and a comma-separated list in the refusal
 * (dokku v0.37.5 plugins/git/subcommands/set).
 */
function gitKeys(ctx: Ctx): string[] {
  const base = ['deploy-branch', 'keep-git-dir', 'rev-env-var', 'source-image']
  return ctx.atLeast('0.38.2') ? ['archive-max-files', 'archive-max-size', ...base] : base
}

const set: Handler = (ctx, args) => {
  const [target = '', key = '', value = ''] = args
  if (target !== '--global') verifyApp(ctx, target)
  if (key === '') return ctx.fail('No key specified')
  const keys = gitKeys(ctx)
  if (!keys.includes(key)) return ctx.fail(`Invalid key specified, valid keys include: ${keys.join(', ')}`)
  if (value !== '') ctx.info2Quiet(`Setting ${key} to ${value}`)
  else ctx.info2Quiet(`Unsetting ${key}`)
  const apply = (s: { props: Record<string, Record<string, string>> }): void => {
    if (value === '' && key === 'rev-env-var') setProp(s, 'git', key, '')
    else setProp(s, 'git', key, value === '' ? undefined : value)
  }
  if (target === '--global') updateGlobal(ctx, apply)
  else updateApp(ctx, target, apply)
}

function lastUpdatedAt(ctx: Ctx, app: string, branch: string): string {
  try {
    return String(Math.floor(statSync(join(appDir(ctx, app), 'refs', 'heads', branch)).mtimeMs / 1000))
  } catch {
    return ''
  }
}

const report: Handler = (ctx, args) => {
  const modern = ctx.atLeast('0.38.22')
  const r = parseReportArgs(ctx, 'git', args, { goFormat: ctx.atLeast('0.38.0'), globalFlag: ctx.atLeast('0.38.0') })
  const global = loadGlobal(ctx)
  const g = (k: string): string => prop(global, 'git', k) ?? ''
  const globalFlags: Array<[string, string]> = modern
    ? [
        ['--git-global-archive-max-files', g('archive-max-files')],
        ['--git-global-archive-max-size', g('archive-max-size')],
        ['--git-global-deploy-branch', g('deploy-branch')],
        ['--git-global-keep-git-dir', g('keep-git-dir')]
      ]
    : [['--git-global-deploy-branch', g('deploy-branch')]]
  const appFlags = (app: string): Array<[string, string]> => {
    const s = loadApp(ctx, app)
    const p = (k: string): string => prop(s, 'git', k) ?? ''
    const branch = computedDeployBranch(s, global)
    const sha = git(['--git-dir', appDir(ctx, app), 'rev-parse', '--verify', '-q', 'HEAD']).stdout.trim()
    if (!modern) {
      // `--git-deploy-branch` is the app's property with a `master` default up to 0.38.3 (dokku
      // v0.37.5 plugins/git/internal-functions:309), the raw property from 0.38.4, which also adds
      // `--git-computed-deploy-branch` (dokku v0.38.4 plugins/git/internal-functions:379-381).
      const raw = ctx.atLeast('0.38.4')
      return [
        ...(raw ? ([['--git-computed-deploy-branch', branch]] as Array<[string, string]>) : []),
        ['--git-deploy-branch', raw ? p('deploy-branch') : p('deploy-branch') || 'master'],
        ['--git-global-deploy-branch', g('deploy-branch') || 'master'],
        ['--git-keep-git-dir', p('keep-git-dir') || 'false'],
        ['--git-rev-env-var', s.props.git && 'rev-env-var' in s.props.git ? p('rev-env-var') : 'GIT_REV'],
        ['--git-sha', sha],
        ['--git-source-image', p('source-image')],
        ['--git-last-updated-at', lastUpdatedAt(ctx, app, branch)]
      ]
    }
    return [
      ['--git-computed-archive-max-files', p('archive-max-files') || g('archive-max-files') || '10000'],
      ['--git-computed-archive-max-size', p('archive-max-size') || g('archive-max-size') || '1073741824'],
      ['--git-computed-deploy-branch', branch],
      ['--git-computed-keep-git-dir', p('keep-git-dir') || g('keep-git-dir') || 'false'],
      ['--git-deploy-branch', p('deploy-branch')],
      ...globalFlags,
      ['--git-keep-git-dir', p('keep-git-dir')],
      ['--git-last-updated-at', lastUpdatedAt(ctx, app, branch)],
      ['--git-rev-env-var', s.props.git && 'rev-env-var' in s.props.git ? p('rev-env-var') : 'GIT_REV'],
      ['--git-sha', sha],
      ['--git-source-image', p('source-image')]
    ]
  }
  const render = (name: string, flags: Array<[string, string]>): void => {
    if (modern) {
      goReport(ctx, { type: 'git', name, flags: Object.fromEntries(flags), infoFlag: r.infoFlag, format: r.format, trimPrefix: true, emitLegacy: false, ucFirst: true })
    } else bashReport(ctx, name === '--global' ? 'Global git information' : `${name} git information`, flags, r.infoFlag)
  }
  eachReport(ctx, r, globalFlags, appFlags, render)
}

export const commands: Record<string, Handler> = {
  'git-hook': hook,
  'git:from-image': fromImage,
  'git:from-archive': fromArchive,
  'git:sync': sync,
  'git:set': set,
  'git:report': report,
  'git:initialize': (ctx, args) => {
    const app = verifyApp(ctx, args[0])
    writePreReceiveHook(ctx, app)
  }
}

