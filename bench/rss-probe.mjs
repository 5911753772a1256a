// Preloaded into the benchmarked action (`node --import ./bench/rss-probe.mjs dist/backup-run/index.js`):
// writes the process's peak resident set size (KiB) and its CPU time (ms), from getrusage, to
// $BENCH_RSS_FILE as JSON when it exits.
import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_RSS_FILE
if (file)
  process.on('exit', () => {
    const usage = process.resourceUsage()
    writeFileSync(file, JSON.stringify({ maxRssKiB: usage.maxRSS, cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000) }))
  })
