// The tar reader against archives the real `tar` of this machine writes (GNU tar in its default
// format and in the POSIX pax format): every odd name and every byte arrives, in bounded chunks.
import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TarFormatError, TarReader, type TarEntry } from '../../../src/core/files/tar.ts'

let root: string
const files = new Map<string, Buffer>()

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tar-reader-'))
  const add = (path: string, content: Buffer) => {
    const full = join(root, path)
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, content)
    files.set(path, content)
  }
  add('avatar 1.png', randomBytes(20_000))
  add('-leading-dash.txt', Buffer.from('dash\n'))
  add('--help', Buffer.from('x'))
  add('empty', Buffer.alloc(0))
  add('exactly-512', randomBytes(512))
  add('ünïcödé/файл 名前.glb', randomBytes(3_000))
  add('new\nline.bin', randomBytes(10))
  // A name over 100 bytes (GNU long name, pax path) and one over 255 (no ustar prefix split fits).
  add(`${'d'.repeat(90)}/${'n'.repeat(60)}.bin`, randomBytes(700))
  add(`${'x'.repeat(120)}/${'y'.repeat(140)}/${'z'.repeat(30)}`, randomBytes(1))
  add('large.bin', randomBytes(3 * 1024 * 1024 + 17))
  symlinkSync('avatar 1.png', join(root, 'link-to-avatar'))
  linkSync(join(root, 'exactly-512'), join(root, 'hard-link'))
  files.set('hard-link', files.get('exactly-512') as Buffer)
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

async function readArchive(args: string[], chunkSize?: number): Promise<{ entries: TarEntry[]; bodies: Map<string, string>; reader: TarReader }> {
  const entries: TarEntry[] = []
  const bodies = new Map<string, string>()
  const reader = new TarReader(async (entry, body) => {
    entries.push(entry)
    const hash = createHash('sha256')
    for await (const chunk of body) hash.update(chunk as Buffer)
    bodies.set(entry.path, hash.digest('hex'))
  })
  const child = spawn('tar', ['-c', '-f', '-', ...args, '-C', root, '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const source = chunkSize ? Readable.from(rechunk(child.stdout, chunkSize)) : child.stdout
  await pipeline(source, reader)
  return { entries, bodies, reader }
}

async function* rechunk(stream: Readable, size: number): AsyncGenerator<Buffer> {
  for await (const chunk of stream) for (let i = 0; i < (chunk as Buffer).length; i += size) yield (chunk as Buffer).subarray(i, i + size)
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('TarReader', () => {
  for (const [label, args] of [
    ['GNU format', ['--format=gnu']],
    ['pax format', ['--format=pax']],
    ['ustar format, names within its limits', ['--format=ustar']]
  ] as const)
    it(`reads ${label}: names, types and bytes`, async () => {
      const skip = label.startsWith('ustar') ? [...files.keys()].filter((p) => Buffer.byteLength(p) > 100) : []
      const excludes = skip.map((p) => `--exclude=./${p.split('/')[0] as string}`)
      const { entries, bodies, reader } = await readArchive([...args, ...excludes], label === 'GNU format' ? 333 : undefined)
      expect(reader.complete).toBe(true)
      const regular = entries.filter((e) => e.type === 'file')
      // Of two names of one file, tar stores the first it meets as the file and the other as a link to it.
      const link = entries.find((e) => e.type === 'hardlink')
      expect(link && [link.path, link.linkPath].sort()).toEqual(['exactly-512', 'hard-link'])
      const expected = [...files].filter(([p]) => !skip.includes(p) && p !== link?.path)
      expect(new Map(regular.map((e) => [e.path, bodies.get(e.path)]))).toEqual(new Map(expected.map(([p, c]) => [p, sha(c)])))
      for (const e of regular) expect(e.size).toBe(files.get(e.path)?.length)
      expect(entries.find((e) => e.path === 'link-to-avatar')).toMatchObject({ type: 'symlink', linkPath: 'avatar 1.png' })
      expect(entries.some((e) => e.type === 'directory' && e.path === 'ünïcödé')).toBe(true)
    })

  it('refuses a cut archive and one that is not tar', async () => {
    const archive = execFileSync('tar', ['-c', '-f', '-', '-C', root, '.'], { maxBuffer: 64 * 1024 * 1024 })
    const cut = new TarReader(async (_entry, body) => void body.resume())
    await expect(pipeline(Readable.from([archive.subarray(0, 5000)]), cut)).rejects.toThrow(TarFormatError)
    const garbage = new TarReader(async () => undefined)
    await expect(pipeline(Readable.from([randomBytes(4096)]), garbage)).rejects.toThrow(/checksum/)
  })

  it('drains a body the handler does not read, and fails the archive when the handler fails', async () => {
    const archive = execFileSync('tar', ['-c', '-f', '-', '-C', root, '.'], { maxBuffer: 64 * 1024 * 1024 })
    const seen: string[] = []
    await pipeline(Readable.from([archive]), new TarReader(async (entry) => void seen.push(entry.path)))
    expect(seen).toContain('large.bin')
    expect(seen).toContain('avatar 1.png')
    const failing = new TarReader(async (entry, body) => {
      if (entry.path === 'large.bin') {
        body.destroy()
        throw new Error('the upload failed')
      }
      body.resume()
    })
    await expect(pipeline(Readable.from(rechunk(Readable.from([archive]), 65536)), failing)).rejects.toThrow('the upload failed')
  })
})
