// Where a SeaweedFS container says it is healthy, and how the toolkit asks (docs/seaweedfs.md#health).
// Pure facts: the wait that uses them is seaweed-provision's (src/actions/seaweed-provision/health.ts).
/** The three parts of `weed mini` the store's health is judged by. */
export type StoreComponent = 's3' | 'master' | 'volume'

export interface InContainerCheck {
  component: Exclude<StoreComponent, 's3'>
  /** What people call it in an error message. */
  label: string
  /** The URL as the container itself reaches it: its own loopback. */
  url: string
}

/** `weed mini`'s master HTTP port (docs/seaweedfs.md#ports). */
export const SEAWEED_MASTER_PORT = 9333
/** `weed mini`'s volume server HTTP port; `weed server` would use 8080 (docs/seaweedfs.md#ports). */
export const SEAWEED_VOLUME_PORT = 9340
/** S3's own health path, unauthenticated: the action asks it through the endpoint, Caddy's active health check through the route (docs/seaweedfs.md#health). */
export const SEAWEED_S3_HEALTH_PATH = '/healthz'

/**
 * Master: 200 once raft knows a leader and the topology is not locked (503 without a leader, 423
 * locked). Volume server: 200 while it heartbeats to the master and is not stopping (503 otherwise).
 * Only the S3 port is published, so both are asked from inside the container (docs/seaweedfs.md#health).
 */
export const IN_CONTAINER_CHECKS: readonly InContainerCheck[] = [
  { component: 'master', label: 'the master', url: `http://127.0.0.1:${SEAWEED_MASTER_PORT}/cluster/healthz` },
  { component: 'volume', label: 'the volume server', url: `http://127.0.0.1:${SEAWEED_VOLUME_PORT}/healthz` }
]

/** Seconds busybox wget waits for a connection or data before it gives up (`-T`). */
const WGET_TIMEOUT_S = 5

/**
 * The command `dokku enter <store> web …` runs for a check. The image is Alpine, so busybox `wget`
 * is there (docs/seaweedfs.md#image): it exits 0 on a 2xx answer and 1 otherwise, with the reason on
 * stderr. Not `-q`: its "server returned error: HTTP/1.1 503 …" line is what the error message shows.
 */
export function inContainerCheckCommand(check: InContainerCheck): string[] {
  return ['wget', '-O', '/dev/null', '-T', String(WGET_TIMEOUT_S), check.url]
}
