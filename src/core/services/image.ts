// Image references, the one place their grammar lives: the app image dokku-deploy deploys
// (`repository[:tag][@sha256:…]`), the SeaweedFS image (`repository:tag[@sha256:…]`), and the service
// inputs' split of a repository (`postgres`, `ghcr.io/v-sekai/cockroach`) and, apart, a tag (`18.4`) —
// the split dokku-postgres/dokku-redis use for `--image` / `--image-version`, where a digest
// (`@sha256:…`) may follow the repository instead of a tag.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REGISTRY = '(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)+|localhost|[a-zA-Z0-9-]+(?::\\d+))(?::\\d+)?'
const REPOSITORY = new RegExp(`^(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
/** Docker's limit on a repository name, registry included (distribution/reference NameTotalLengthMax). */
const MAX_REPOSITORY = 255

export interface ImageName {
  readonly repository: string
  readonly digest: string | undefined
}

export interface ImageReference extends ImageName {
  readonly tag: string | undefined
}

/**
 * Parses `repository[:tag][@sha256:…]`; undefined when it is not one. Nothing in it can contain
 * whitespace, so it survives the forced command's split (docs/dokku-contract.md#forced-command).
 */
export function parseImageReference(value: string): ImageReference | undefined {
  const [named = '', digest, extra] = value.split('@')
  if (extra !== undefined || (digest !== undefined && !DIGEST.test(digest))) return undefined
  // A colon after the last `/` starts the tag; one before it is a registry port.
  const colon = named.lastIndexOf(':')
  const hasTagPart = colon > named.lastIndexOf('/')
  const repository = hasTagPart ? named.slice(0, colon) : named
  const tag = hasTagPart ? named.slice(colon + 1) : undefined
  if (repository.length > MAX_REPOSITORY || !REPOSITORY.test(repository) || (tag !== undefined && !TAG.test(tag))) return undefined
  return { repository, tag, digest }
}

/** Parses `repository[@sha256:…]`; undefined when it is not one (a tag inside it included). */
export function parseImageName(value: string): ImageName | undefined {
  const reference = parseImageReference(value)
  if (reference === undefined || reference.tag !== undefined) return undefined
  return { repository: reference.repository, digest: reference.digest }
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
