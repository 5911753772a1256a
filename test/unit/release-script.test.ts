// scripts/release.sh in a scratch repository with a bare "origin": it tags vX.Y.Z and moves vX,
// pushes only with --push, and refuses (tagging nothing) a dirty tree, a stale dist/, a version
// the CHANGELOG or package.json does not have, and a major tag that would move backwards.
// scripts/check-dist.sh is replaced by a stand-in that fails like it (rebuilds dist/, exits 1)
// when STALE_DIST=1; the real one runs in CI on every commit.
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from '../support/actions.js'

const exec = promisify(execFile)
const identity = { GIT_AUTHOR_NAME: 'Release Test', GIT_AUTHOR_EMAIL: 'release@example.test', GIT_COMMITTER_NAME: 'Release Test', GIT_COMMITTER_EMAIL: 'release@example.test' }

let work: string
let repo: string
let remote: string

async function git(args: string[], cwd = repo): Promise<string> {
  return (await exec('git', args, { cwd, env: { ...process.env, ...identity } })).stdout.trim()
}

async function release(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await exec('bash', ['scripts/release.sh', ...args], { cwd: repo, env: { ...process.env, ...identity, ...env }, timeout: 60_000 })
    return { code: 0, stderr }
  } catch (error) {
    const failed = error as { code?: number; stderr?: string }
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' }
  }
}

function writeProject(version: string, changelogVersions: string[]): void {
  writeFileSync(join(repo, 'package.json'), `{\n  "name": "dokku-stack",\n  "version": "${version}",\n  "private": true\n}\n`)
  const sections = changelogVersions.map((v) => `## [${v}] - 2026-01-0${changelogVersions.indexOf(v) + 1}\n\n### Added\n\n- what ${v} brings\n`)
  writeFileSync(join(repo, 'CHANGELOG.md'), `# Changelog\n\n## [Unreleased]\n\n${sections.reverse().join('\n')}`)
}

async function commitAll(message: string): Promise<string> {
  await git(['add', '-A'])
  await git(['commit', '-qm', message])
  return git(['rev-parse', 'HEAD'])
}

async function tagsOn(cwd: string): Promise<Record<string, string>> {
  const out = await git(['for-each-ref', '--format=%(refname:short) %(*objectname)', 'refs/tags'], cwd)
  return Object.fromEntries(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]))
}

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'release-script-'))
  repo = join(work, 'repo')
  remote = join(work, 'remote.git')
  await exec('git', ['init', '-q', '--bare', remote])
  mkdirSync(join(repo, 'scripts'), { recursive: true })
  mkdirSync(join(repo, 'dist', 'x'), { recursive: true })
  await git(['init', '-q', '-b', 'main'])
  await git(['remote', 'add', 'origin', remote])
  copyFileSync(join(repoRoot, 'scripts', 'release.sh'), join(repo, 'scripts', 'release.sh'))
  writeFileSync(
    join(repo, 'scripts', 'check-dist.sh'),
    '#!/usr/bin/env bash\ncd "$(dirname "$0")/.."\nif [ "${STALE_DIST:-0}" = 1 ]; then echo "// rebuilt" >> dist/x/index.js; echo "dist/ is stale" >&2; exit 1; fi\necho "dist/ is up to date."\n'
  )
  writeFileSync(join(repo, 'dist', 'x', 'index.js'), '// bundle\n')
  writeProject('1.0.0', ['1.0.0'])
  await commitAll('first')
})

afterEach(() => rmSync(work, { recursive: true, force: true }))

describe('scripts/release.sh', () => {
  it('tags vX.Y.Z with its CHANGELOG notes, moves vX to the same commit, and pushes nothing', async () => {
    const head = await git(['rev-parse', 'HEAD'])
    const result = await release(['1.0.0'])
    expect(result.code, result.stderr).toBe(0)
    expect(await tagsOn(repo)).toEqual({ 'v1.0.0': head, v1: head })
    expect(await git(['tag', '-l', '--format=%(contents)', 'v1.0.0'])).toContain('- what 1.0.0 brings')
    expect(await tagsOn(remote)).toEqual({})
    expect(result.stderr).toContain('git push origin refs/tags/v1.0.0 && git push --force origin refs/tags/v1')
  })

  it('moves vX forward on the next release, and with --push publishes both tags', async () => {
    expect((await release(['1.0.0', '--push'])).code).toBe(0)
    writeProject('1.1.0', ['1.0.0', '1.1.0'])
    const second = await commitAll('second')
    const result = await release(['v1.1.0', '--push'])
    expect(result.code, result.stderr).toBe(0)
    const first = (await tagsOn(repo))['v1.0.0']
    expect(await tagsOn(remote)).toEqual({ 'v1.0.0': first, 'v1.1.0': second, v1: second })
  })

  it('refuses a tree with changes or untracked files', async () => {
    writeFileSync(join(repo, 'notes.txt'), 'not committed\n')
    const result = await release(['1.0.0'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('refusing: the working tree has changes')
    expect(await tagsOn(repo)).toEqual({})
  })

  it('refuses a stale dist/', async () => {
    const result = await release(['1.0.0'], { STALE_DIST: '1' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('refusing: dist/ is stale')
    expect(await tagsOn(repo)).toEqual({})
  })

  it('refuses a version without its CHANGELOG section, or not in package.json', async () => {
    writeProject('1.0.0', ['0.9.0'])
    await commitAll('no 1.0.0 section')
    const noSection = await release(['1.0.0'])
    expect(noSection.code).toBe(1)
    expect(noSection.stderr).toContain('CHANGELOG.md has no "## [1.0.0]" section')
    const otherPackageVersion = await release(['0.9.0'])
    expect(otherPackageVersion.code).toBe(1)
    expect(otherPackageVersion.stderr).toContain(`package.json's version is "1.0.0", not "0.9.0"`)
    expect(await tagsOn(repo)).toEqual({})
  })

  it('refuses to tag a version twice, or to move vX back to an older release', async () => {
    writeProject('1.1.0', ['1.1.0'])
    await commitAll('1.1.0')
    expect((await release(['1.1.0'])).code).toBe(0)
    const tagged = await tagsOn(repo)
    const again = await release(['1.1.0'])
    expect(again.stderr).toContain('v1.1.0 exists already')
    writeProject('1.0.1', ['1.0.1', '1.1.0'])
    await commitAll('a patch of the older line')
    const backwards = await release(['1.0.1'])
    expect(backwards.code).toBe(1)
    expect(backwards.stderr).toContain('v1.1.0 is newer than v1.0.1')
    expect(await tagsOn(repo)).toEqual(tagged)
  })

  it('refuses what is not MAJOR.MINOR.PATCH', async () => {
    for (const bad of ['1.0', '1.0.0-rc.1', '01.0.0', 'latest']) {
      const result = await release([bad])
      expect(result.code, bad).toBe(1)
      expect(result.stderr).toContain('is not a release version')
    }
    expect(await tagsOn(repo)).toEqual({})
  })
})
