// Image references as the service inputs take them: a repository (`postgres`, `ghcr.io/v-sekai/cockroach`)
// and, apart, a tag (`18.4`) — the split dokku-postgres/dokku-redis use for `--image` / `--image-version`.
// A digest (`@sha256:…`) may follow the repository where a tag is not used.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REGISTRY = '(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)+|localhost|[a-zA-Z0-9-]+(?::\\d+))(?::\\d+)?'
const REPOSITORY = new RegExp(`^(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/

export interface ImageName {
  readonly repository: string
  readonly digest: string | undefined
}

/** Parses `repository[@sha256:…]`; undefined when it is not one (a tag inside it included). */
export function parseImageName(value: string): ImageName | undefined {
  const [repository = '', digest, extra] = value.split('@')
  if (extra !== undefined || !REPOSITORY.test(repository)) return undefined
  if (digest !== undefined && !DIGEST.test(digest)) return undefined
  return { repository, digest }
}

/** Whether the text after the last `/` carries a `:tag` (a registry port comes before a `/`). */
export function hasTag(value: string): boolean {
  return (value.split('@')[0]?.split('/').at(-1) ?? '').includes(':')
}

export function isTag(value: string): boolean {
  return TAG.test(value)
}

/** `repository:tag` or `repository@digest`, the form `git:from-image` and the reports use. */
export function imageReference(name: ImageName, tag: string | undefined): string {
  if (name.digest) return `${name.repository}@${name.digest}`
  return tag ? `${name.repository}:${tag}` : name.repository
}

/** Splits a report's `image:tag` (postgres:info --version) into its parts; the registry port is not a tag. */
export function splitImageReference(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf('@')
  if (at >= 0) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) }
  const slash = reference.lastIndexOf('/')
  const colon = reference.lastIndexOf(':')
  if (colon > slash) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) }
  return { repository: reference, tag: '' }
}
