// ssh2 reads __dirname at load time (ssh2/lib/protocol/crypto/poly1305.js). An ESM ncc
// bundle has no __dirname, so every entry imports this module first (vercel/ncc#749).
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const globals = globalThis as { __dirname?: string; __filename?: string }
globals.__filename ??= fileURLToPath(import.meta.url)
globals.__dirname ??= dirname(globals.__filename)
