// Caddy routing for Dokku hosts: what caddy-docker-proxy will generate from the labels of every
// Caddy app, the labels one app should carry, the refusals, and a real-Caddy validator.
// caddy-config routes whole apps through converge.ts; seaweed-provision routes its S3 host name
// through the same converge.ts (src/core/seaweed/routing.ts).
export { blocksFromLabels, marshal, mergeBlocks, tokenize, LabelTemplateError, type Block, type UpstreamResolver } from './caddyfile.js'
export { containerLabels, DEFAULT_LETSENCRYPT_SERVER, globalLabels, labelPathProblem, type AppLabelSource, type CaddyGlobalSettings } from './labels.js'
export {
  HEALTH_CHECK,
  PLACEHOLDER_UPSTREAM_HOST,
  planAppRouting,
  portMapsWith,
  renderHost,
  SEAWEEDFS_S3_PORT,
  siteAddresses,
  type AppRouting,
  type AppRoutingRequest,
  type HostApp,
  type Redirect,
  type Refusal,
  type RenderedHost,
  type TlsMode
} from './routing.js'
export { adaptCaddyfile, CaddyUnavailableError, caddyVersion, defaultCaddyBinary, validateBlocks, type CaddyBinary, type DroppedBlock, type ValidationResult } from './validate.js'
