// How durations read in logs, errors and job summaries: one way everywhere.

/** A duration for people: `850 ms`, `1.5 s`, `90 s`, `4 min`, `3.5 h`, `2.0 days`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  // Seconds up to two minutes (a 90 s lock-timeout reads as 90 s), then minutes up to two hours.
  if (s < 120) return `${Number(s.toFixed(1))} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86_400).toFixed(1)} days`
}
