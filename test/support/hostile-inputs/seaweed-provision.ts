// seaweed-provision's inputs: the store app and the apps in `access` are dokku arguments, the
// variable names and values are config:set arguments, the domain is a domains:set argument and
// a host name the runner requests, the buckets, region and endpoint make the S3 URLs.
import { Inputs, readSeaweedInputs, type SeaweedConfig } from '../../../src/actions/seaweed-provision/inputs.ts'
import { checkSeaweedImage } from '../../../src/core/seaweed/recipe.ts'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable } from './types.ts'

const settings = (s: unknown) => s as SeaweedConfig
/** The first line of a one-a-line input that is not blank or a `#` comment, trimmed. */
const firstLine = (raw: string) => raw.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#')) ?? ''
const ADMIN_PASSWORD = 'hostile-admin-password-never-shown'

export const seaweedProvisionInputs: ActionInputTable = {
  action: 'seaweed-provision',
  read: (inputs) => readSeaweedInputs(inputs),
  base: { ...COMMON_BASE, endpoint: 'http://127.0.0.1:9000', buckets: 'uploads', access: 'hostile-user-app uploads readwrite' },
  baseSecrets: [...COMMON_SECRETS, ADMIN_PASSWORD],
  cases: [
    { input: Inputs.app, reaches: ['host'], found: (s) => settings(s).app, send: (dokku, s) => dokku.apps.exists(settings(s).app) },
    {
      // Written into the generated wrapper's Dockerfile (FROM), sent as the archive on git:from-archive's stdin.
      input: Inputs.image,
      reaches: ['host'],
      found: (s) => settings(s).image.reference,
      expected: (raw) => {
        const choice = checkSeaweedImage(raw.trim())
        if ('problem' in choice) throw new Error(choice.problem)
        return choice.reference
      }
    },
    { input: Inputs.buckets, lines: true, reaches: ['url'], with: { [Inputs.access]: '' }, found: (s) => settings(s).buckets[0], expected: firstLine },
    {
      input: Inputs.access,
      variant: 'app',
      lines: true,
      reaches: ['host'],
      wrap: (h) => `${h} uploads read`,
      found: (s) => settings(s).access[0]?.app,
      expected: (raw) => firstLine(raw).split(/\s+/)[0],
      send: (dokku, s) => dokku.apps.exists(settings(s).access[0]?.app as string)
    },
    {
      input: Inputs.envNames,
      lines: true,
      reaches: ['host'],
      wrap: (h) => `AWS_S3_BUCKET=${h}`,
      found: (s) => settings(s).envNames.AWS_S3_BUCKET,
      expected: (raw) => raw.slice('AWS_S3_BUCKET='.length).split(/\r?\n/)[0]?.trim(),
      send: (dokku, s, fx) => dokku.config.set(fx.absentApp, { [settings(s).envNames.AWS_S3_BUCKET]: 'uploads' }, { restart: false })
    },
    {
      input: Inputs.domain,
      reaches: ['host', 'url'],
      with: { [Inputs.endpoint]: '' },
      found: (s) => settings(s).domain,
      expected: (raw) => raw.trim().toLowerCase().replace(/\.$/, ''),
      send: (dokku, s, fx) => dokku.domains.set(fx.absentApp, [settings(s).domain as string])
    },
    { input: Inputs.endpoint, reaches: ['url', 'host'], found: (s) => settings(s).endpoint, expected: (raw) => new URL(raw.trim()).origin },
    {
      input: Inputs.region,
      reaches: ['url', 'host'],
      found: (s) => settings(s).region,
      send: (dokku, s, fx) => dokku.config.set(fx.absentApp, { AWS_REGION: settings(s).region }, { restart: false })
    },
    {
      input: Inputs.adminPassword,
      reaches: ['host'],
      secret: true,
      found: (s) => settings(s).adminPassword,
      send: (dokku, s, fx) => dokku.config.set(fx.absentApp, { WEED_ADMIN_PASSWORD: settings(s).adminPassword as string }, { restart: false })
    }
  ]
}
