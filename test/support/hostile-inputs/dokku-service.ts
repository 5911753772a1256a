// dokku-service's inputs: every one of them ends up in a postgres:/redis: plugin argument, a
// config value of the app, or (cockroach) an app and its image.
import { Inputs, readServiceInputs, type ServiceConfig } from '../../../src/actions/dokku-service/inputs.ts'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable } from './types.ts'

const settings = (s: unknown) => s as ServiceConfig

export const dokkuServiceInputs: ActionInputTable = {
  action: 'dokku-service',
  read: (inputs) => readServiceInputs(inputs),
  base: { ...COMMON_BASE, engine: 'postgres', service: 'db', app: 'uro' },
  baseSecrets: COMMON_SECRETS,
  cases: [
    { input: Inputs.service, variant: 'postgres', reaches: ['host'], found: (s) => settings(s).service, send: (dokku, s) => dokku.postgres.exists(settings(s).service) },
    { input: Inputs.service, variant: 'cockroach', reaches: ['host'], with: { [Inputs.engine]: 'cockroach', [Inputs.app]: '' }, found: (s) => settings(s).service, send: (dokku, s) => dokku.apps.exists(settings(s).service) },
    { input: Inputs.app, reaches: ['host'], found: (s) => settings(s).app, send: (dokku, s) => dokku.apps.exists(settings(s).app as string) },
    // Image settings travel in postgres:create; against a service that exists the plugin stops at "already exists".
    { input: Inputs.image, reaches: ['host'], found: (s) => settings(s).image, send: (dokku, s, fx) => dokku.postgres.create(fx.service, { image: settings(s).image as string }) },
    {
      input: Inputs.imageVersion,
      reaches: ['host'],
      found: (s) => settings(s).imageVersion,
      send: (dokku, s, fx) => dokku.postgres.create(fx.service, { imageVersion: settings(s).imageVersion as string })
    },
    {
      input: Inputs.linkAlias,
      reaches: ['host'],
      found: (s) => settings(s).alias,
      expected: (raw) => raw.trim().toUpperCase().replace(/_URL$/, ''),
      send: (dokku, s, fx) => dokku.postgres.link(fx.service, fx.absentApp, { alias: settings(s).alias })
    },
    {
      input: Inputs.querystring,
      reaches: ['host', 'url'],
      found: (s) => settings(s).querystring,
      expected: (raw) => raw.trim().replace(/^\?/, ''),
      send: (dokku, s, fx) => dokku.postgres.link(fx.service, fx.absentApp, { querystring: settings(s).querystring as string })
    },
    {
      input: Inputs.customEnv, lines: true,
      reaches: ['host'],
      wrap: (h) => `HOSTILE=${h}`,
      found: (s) => settings(s).customEnv.get('HOSTILE'),
      expected: (raw) => raw.slice('HOSTILE='.length).split(/\r?\n/)[0],
      send: (dokku, s, fx) => dokku.postgres.create(fx.service, { customEnv: { HOSTILE: settings(s).customEnv.get('HOSTILE') as string } })
    },
    {
      input: Inputs.configOptions,
      reaches: ['host'],
      found: (s) => settings(s).configOptions,
      send: (dokku, s, fx) => dokku.postgres.create(fx.service, { configOptions: settings(s).configOptions as string })
    },
    {
      input: Inputs.configOptions,
      variant: 'cockroach',
      reaches: ['host'],
      with: { [Inputs.engine]: 'cockroach', [Inputs.service]: 'crdb' },
      found: (s) => settings(s).configOptions
    },
    { input: Inputs.shmSize, reaches: ['host'], found: (s) => settings(s).shmSize, send: (dokku, s, fx) => dokku.postgres.create(fx.service, { shmSize: settings(s).shmSize as string }) },
    { input: Inputs.confirmDestroy, reaches: ['host'], with: { [Inputs.destroy]: 'true' }, found: (s) => settings(s).service, expected: () => 'db' }
  ]
}
