// Samples quoted verbatim from the contract documents (shared/reference/dokku-contract.md and
// dokku-contract-addendum.md), one array item per line so trailing spaces stay visible.
// Each is the stdout of the command named in its comment, with the final newline Dokku prints.

/** docs/dokku-contract.md#reports: `apps:report web` (Go layout; the contract does not show trailing spaces). */
export const APPS_REPORT_TEXT = [
  '=====> web app information',
  '       App created at:                  1724265000',
  '       App deploy source:               docker-image',
  '       App deploy source metadata:      ghcr.io/acme/web:1.2.3',
  '       App dir:                         /home/dokku/web',
  '       App global disable autocreation:',
  '       App locked:                      false'
].join('\n') + '\n'

/** docs/dokku-contract.md#reports: `domains:report web` (Go layout, 0.38.22+). */
export const DOMAINS_REPORT_TEXT = [
  '=====> web domains information',
  '       Domains app enabled:           true',
  '       Domains app vhosts:            web.example.com www.example.com',
  '       Domains global enabled:        true',
  '       Domains global vhosts:         example.com'
].join('\n') + '\n'

/** docs/dokku-contract.md#service-info: `postgres:info lollipop` (bash `%-20s %-25s`; the contract does not show trailing spaces). */
export const POSTGRES_INFO_TEXT = [
  '=====> lollipop postgres service information',
  '       Config dir:          /var/lib/dokku/services/postgres/lollipop/data',
  '       Config options:',
  '       Data dir:            /var/lib/dokku/services/postgres/lollipop/data',
  '       Dsn:                 postgres://postgres:<32hex>@dokku-postgres-lollipop:5432/lollipop',
  '       Exposed ports:       -',
  '       Id:                  <64-hex container id>',
  '       Internal ip:         172.17.0.5',
  '       Initial network:',
  '       Links:               playground',
  '       Post create network:',
  '       Post start network:',
  '       Service root:        /var/lib/dokku/services/postgres/lollipop',
  '       Status:              running',
  '       Version:             postgres:18.4'
].join('\n') + '\n'

/** docs/dokku-contract.md#service-info: `redis:info lollipop`, with the real trailing spaces of `%-25s`. */
export const REDIS_INFO_TEXT = [
  '=====> lollipop redis service information',
  '       Config dir:          /var/lib/dokku/services/redis/lollipop/config',
  '       Config options:                               ',
  '       Data dir:            /var/lib/dokku/services/redis/lollipop/data',
  '       Dsn:                 redis://:<64-hex>@dokku-redis-lollipop:6379',
  '       Exposed ports:       -                        ',
  '       Id:                  <64-hex container id>',
  '       Internal ip:         172.17.0.4               ',
  '       Initial network:                              ',
  '       Links:               playground               ',
  '       Post create network:                          ',
  '       Post start network:                           ',
  '       Service root:        /var/lib/dokku/services/redis/lollipop',
  '       Status:              running                  ',
  '       Version:             redis:8.8.0              '
].join('\n') + '\n'

/**
 * The same `apps:report web` with the padding Go's ReportSingleApp really prints (docs/dokku-contract.md#reports:
 * `Key:` right-padded to max(longest flag = 33, 31)): the empty value leaves a trailing space.
 */
export const APPS_REPORT_TEXT_PADDED = [
  '=====> web app information',
  '       App created at:                  1724265000',
  '       App deploy source:               docker-image',
  '       App deploy source metadata:      ghcr.io/acme/web:1.2.3',
  '       App dir:                         /home/dokku/web',
  '       App global disable autocreation: ',
  '       App locked:                      false'
].join('\n') + '\n'

/**
 * docs/dokku-contract.md#reports: `apps:report web --format json` on 0.38.8+, quoted as
 * `{"app-created-at":"1724265000",…,"app-locked":"false","created-at":"1724265000",…,"dir":"/home/dokku/web",…,"locked":"false"}`;
 * the elided entries are filled in from the text sample (sorted keys, stripped and legacy).
 */
export const APPS_REPORT_JSON =
  '{"app-created-at":"1724265000","app-deploy-source":"docker-image","app-deploy-source-metadata":"ghcr.io/acme/web:1.2.3","app-dir":"/home/dokku/web","app-global-disable-autocreation":"","app-locked":"false","created-at":"1724265000","deploy-source":"docker-image","deploy-source-metadata":"ghcr.io/acme/web:1.2.3","dir":"/home/dokku/web","global-disable-autocreation":"","locked":"false"}\n'

/** The same report before 0.38.8: keys are the flags without `--` ("legacy" keys only). */
export const APPS_REPORT_JSON_LEGACY =
  '{"app-created-at":"1724265000","app-deploy-source":"docker-image","app-deploy-source-metadata":"ghcr.io/acme/web:1.2.3","app-dir":"/home/dokku/web","app-locked":"false"}\n'

/** docs/dokku-contract.md#domains: `domains:report web --format json`: keys `app-enabled`, `app-vhosts`, `global-enabled`, `global-vhosts`, no legacy keys. */
export const DOMAINS_REPORT_JSON = '{"app-enabled":"true","app-vhosts":"web.example.com www.example.com","global-enabled":"true","global-vhosts":"example.com"}\n'

/** docs/dokku-contract.md#config-set: `config:set web APP_ENV=prod COMPILE_ASSETS=1` stdout (values in clear). */
export const CONFIG_SET_OUTPUT = ['-----> Setting config vars', '       APP_ENV:         prod', '       COMPILE_ASSETS:  1'].join('\n') + '\n'

/** docs/dokku-contract.md#plugins: one `plugin:list` row, `printf "  %-20s %-5s %-10s %s\n"`, after the docs' `plugn: dev` header. */
export const PLUGIN_LIST_TEXT = ['plugn: dev', '  postgres             1.48.0 enabled    dokku postgres service plugin'].join('\n') + '\n'

/** docs/dokku-contract.md#ps-scale: `ps:scale web` without tuples. */
export const PS_SCALE_TEXT = ['-----> Scaling for web', 'proctype: qty', '--------: ---', 'web:  1', 'worker: 2'].join('\n') + '\n'

/** docs/dokku-contract.md#storage-report: `storage:list web` text form. */

/** docs/dokku-contract.md#storage-report: `storage:list <app> --format json` on 0.38 (`readonly` and `volume_options` only when set). */
export const STORAGE_LIST_JSON = '[{"entry_name":"legacy-…","host_path":"/tmp/mount","container_path":"/mount"}]\n'

/** `caddy:labels:show web` in the shape docs/dokku-contract.md#caddy-labels gives (`=====> web caddy labels`, then `       label=value` lines), with the labels of docs/caddy.md#generated-labels. */
export const CADDY_LABELS_TEXT = ['=====> web caddy labels', '       caddy.handle_path=/api/v1/*', '       caddy.handle_path.reverse_proxy={{upstreams 4000}}'].join('\n') + '\n'
