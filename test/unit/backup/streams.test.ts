// The pipeline's stream stages, in memory: compression, age encryption (the npm age-encryption
// library, by age's author), checksum checks that fail before the end of the stream is passed on.
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { generateIdentity, identityToRecipient } from 'age-encryption'
import { describe, expect, it } from 'vitest'
import { devNull } from '../../../src/core/backup/pipeline.ts'
import { COMPRESSIONS, consumeAllowingEarlyEnd, createCompressor, createDecompressor, createDecryptor, createEncryptor, HashingStream, HeaderPeek } from '../../../src/core/backup/streams.ts'

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const data = Buffer.concat(Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i} ${'x'.repeat(i % 50)}\n`.repeat(40))))

describe('compression', () => {
  it.each(COMPRESSIONS)('%s round-trips', async (kind) => {
    const compressed = await collect(Readable.from([data]).pipe(createCompressor(kind)))
    if (kind !== 'none') expect(compressed.length).toBeLessThan(data.length / 5)
    expect((await collect(Readable.from([compressed]).pipe(createDecompressor(kind)))).equals(data)).toBe(true)
  })
})

describe('age encryption', () => {
  it('round-trips to a recipient and with a passphrase; the wrong key or a flipped byte fails', async () => {
    const identity = await generateIdentity()
    const recipient = await identityToRecipient(identity)
    const encrypted = await collect(Readable.from([data]).pipe(createEncryptor({ kind: 'age-recipients', recipients: [recipient] })))
    expect(encrypted.subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    expect((await collect(Readable.from([encrypted]).pipe(createDecryptor('age-recipients', { identities: [identity], passphrase: undefined })))).equals(data)).toBe(true)

    const other = await generateIdentity()
    await expect(collect(Readable.from([encrypted]).pipe(createDecryptor('age-recipients', { identities: [other], passphrase: undefined })))).rejects.toThrow()
    const flipped = Buffer.from(encrypted)
    flipped[flipped.length - 100] = (flipped[flipped.length - 100] as number) ^ 1
    await expect(collect(Readable.from([flipped]).pipe(createDecryptor('age-recipients', { identities: [identity], passphrase: undefined })))).rejects.toThrow()
  })
})

describe('HashingStream', () => {
  it('errors in flush on a mismatch, before the consumer sees the end', async () => {
    const good = new HashingStream()
    await pipeline(Readable.from([data]), good, devNull())
    expect(good.bytes).toBe(data.length)
    const checked = new HashingStream({ sha256: good.sha256, size: data.length, what: 'x' })
    await pipeline(Readable.from([data]), checked, devNull())
    let ended = false
    const sink = devNull().on('finish', () => (ended = true))
    await expect(pipeline(Readable.from([data]), new HashingStream({ sha256: '0'.repeat(64), what: 'the object' }), sink)).rejects.toThrow(/Checksum mismatch: the object: SHA-256 [0-9a-f]{64}, the manifest says 0{64}/)
    expect(ended).toBe(false)
  })

  it('HeaderPeek fails the stream when the head is wrong, and checks short streams at the end', async () => {
    await expect(pipeline(Readable.from([Buffer.from('nope')]), new HeaderPeek(100, () => { throw new Error('bad head') }), devNull())).rejects.toThrow('bad head')
    let seen = ''
    await pipeline(Readable.from([Buffer.from('PGD'), Buffer.from('MP rest')]), new HeaderPeek(5, (h) => (seen = h.toString())), devNull())
    expect(seen).toBe('PGDMP')
  })
})

describe('consumeAllowingEarlyEnd', () => {
  // What the SSH layer does when its command exits before reading all its input: destroy the input.
  const stopsAfterFirstChunk = (input: Readable): Promise<void> =>
    new Promise((resolve) => {
      input.once('data', () => {
        input.destroy()
        resolve()
      })
    })

  async function producerAfterConsumer(consume: (hashing: HashingStream) => Promise<void>): Promise<{ produced: Promise<void>; hashing: HashingStream }> {
    const producer = new PassThrough()
    const hashing = new HashingStream()
    const produced = pipeline(producer, hashing)
    produced.catch(() => undefined)
    producer.write(Buffer.from('PGDMP archive'))
    await consume(hashing)
    // The producer's end arrives after the consumer finished, with more than a buffer's worth first.
    producer.end(Buffer.alloc(1024 * 1024))
    return { produced, hashing }
  }

  it('drains what the producer still sends once the consumer is done, so the producer ends cleanly', async () => {
    const { produced, hashing } = await producerAfterConsumer((hashing) => consumeAllowingEarlyEnd(hashing, stopsAfterFirstChunk))
    await produced
    expect(hashing.bytes).toBe(13 + 1024 * 1024)
  })

  it('without it the producer fails with a premature close (what it guards against)', async () => {
    const { produced } = await producerAfterConsumer(stopsAfterFirstChunk)
    await expect(produced).rejects.toThrow(/Premature close/)
  })

  it('a failing consumer stops the producer with its error', async () => {
    const producer = new PassThrough()
    const hashing = new HashingStream()
    const produced = pipeline(producer, hashing)
    produced.catch(() => undefined)
    producer.write('partial')
    const failure = new Error('pg_restore: error: could not read input file')
    await expect(consumeAllowingEarlyEnd(hashing, async (input) => {
      await new Promise((resolve) => input.once('data', resolve))
      throw failure
    })).rejects.toBe(failure)
    await expect(produced).rejects.toBe(failure)
  })
})
