// Dokku's name rules, in one place. The input readers check them before connecting (with a message
// that names the input and suggests a fix); the Dokku runner checks them again before anything is
// sent, as the last line of defence against a name Dokku would read differently.

/** Dokku app names (docs/dokku-contract.md#app-names). */
export const APP_NAME = /^[a-z0-9][a-z0-9.-]*$/

/**
 * The longest app name accepted: Docker refuses an image name over 255 characters, and Dokku's is
 * `dokku/<app>`. Checked before connecting, so that a longer one does not fail on the host.
 */
export const MAX_APP_NAME = 200

/** dokku-postgres / dokku-redis service names (docs/dokku-contract.md#services, #redis). */
// Not starting with '-': the plugins and the forced command's echo would read it as an option.
export const SERVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/

/**
 * The longest service name accepted: a linked app reaches the service by its network alias
 * `dokku-postgres-<name>` (dokku-postgres common-functions service_dns_hostname; `dokku-redis-` for
 * redis), and a DNS label carries at most 63 characters, so a longer name makes a service no app can
 * resolve.
 */
export const MAX_SERVICE_NAME = 63 - 'dokku-postgres-'.length

/** Dokku config keys (docs/dokku-contract.md#config): environment variable names, so also the rule for those. */
export const CONFIG_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Why `value` cannot be a Dokku app name (a phrase that follows the name), or undefined when it can. */
export function appNameProblem(value: string): string | undefined {
  if (value.length > MAX_APP_NAME)
    return `is ${value.length} characters long; a Dokku app name has at most ${MAX_APP_NAME} (Docker refuses image names over 255, and Dokku's is dokku/<app>)`
  if (!APP_NAME.test(value)) return 'must be a Dokku app name: lowercase letters, digits, dots and hyphens, starting with a letter or digit'
  return undefined
}

/** Why `value` cannot be a dokku-postgres / dokku-redis service name, or undefined when it can. */
export function serviceNameProblem(value: string): string | undefined {
  if (value.length > MAX_SERVICE_NAME)
    return `is ${value.length} characters long; a service name has at most ${MAX_SERVICE_NAME} (apps reach it as dokku-postgres-<name>, and a DNS label holds 63)`
  return SERVICE_NAME.test(value) ? undefined : 'must be a service name (letters, digits, underscores and hyphens)'
}

/** Why `value` cannot be a Dokku config key, or undefined when it can. */
export function configKeyProblem(value: string): string | undefined {
  return CONFIG_KEY.test(value) ? undefined : 'must be a config key: a letter or underscore, then letters, digits and underscores'
}
