// dokku-deploy's inputs that reach the host (app, branch, config, image), the runner (ref and path
// for the local git push) or a URL (health check, the GitHub deployment's environment).
import { Inputs, readDeployInputs, type DeployConfig, type EventContext } from '../../../src/actions/dokku-deploy/inputs.ts'
import { COMMON_BASE, COMMON_SECRETS } from './base.ts'
import type { ActionInputTable } from './types.ts'

const EVENT: EventContext = { eventName: 'push', sha: '0123456789abcdef0123456789abcdef01234567', pullRequest: undefined, workspace: '/home/runner/work/uro/uro' }
const TOKEN = 'ghs_hostileTokenNeverShown0123456789'
const settings = (s: unknown) => s as DeployConfig

export const dokkuDeployInputs: ActionInputTable = {
  action: 'dokku-deploy',
  read: (inputs) => readDeployInputs(inputs, EVENT),
  base: { ...COMMON_BASE, app: 'uro', 'github-token': TOKEN },
  baseSecrets: [...COMMON_SECRETS, TOKEN],
  cases: [
    { input: Inputs.app, reaches: ['host'], found: (s) => settings(s).app, send: (dokku, s) => dokku.apps.exists(settings(s).app) },
    {
      input: Inputs.reviewAppName,
      reaches: ['host'],
      with: { [Inputs.reviewApp]: 'create' },
      found: (s) => settings(s).app,
      send: (dokku, s) => dokku.apps.exists(settings(s).app)
    },
    { input: Inputs.branch, reaches: ['host', 'runner'], found: (s) => settings(s).branch, send: (dokku, s, fx) => dokku.git.set(fx.app, 'deploy-branch', settings(s).branch) },
    {
      input: Inputs.config,
      variant: 'value', lines: true,
      reaches: ['host'],
      wrap: (h) => `HOSTILE=${h}`,
      found: (s) => settings(s).config.get('HOSTILE'),
      // KEY=VALUE lines: the value is the rest of its line, untrimmed; a value with a newline is cut there.
      expected: (raw) => raw.slice('HOSTILE='.length).split(/\r?\n/)[0],
      send: async (dokku, s, fx) => {
        const value = settings(s).config.get('HOSTILE') as string
        await dokku.config.set(fx.app, { [fx.configKey]: value })
        return (await dokku.config.export(fx.app))[fx.configKey]
      }
    },
    {
      input: Inputs.config,
      variant: 'multi-line value', lines: true,
      reaches: ['host'],
      wrap: (h) => `HOSTILE<<EOF_HOSTILE\n${h}\nEOF_HOSTILE`,
      found: (s) => settings(s).config.get('HOSTILE'),
      // Lines are split on CRLF or LF and joined with LF, as a workflow file's line endings should not matter.
      expected: (raw) => raw.split(/\r?\n/).slice(1, -1).join('\n')
    },
    { input: Inputs.config, variant: 'key', lines: true, reaches: ['host'], wrap: (h) => `${h}=value`, found: (s) => [...settings(s).config.keys()][0], expected: (raw) => raw.slice(0, raw.indexOf('=')).trim() },
    {
      input: Inputs.image,
      reaches: ['host'],
      with: { [Inputs.source]: 'image' },
      found: (s) => (settings(s).source.kind === 'image' ? (settings(s).source as { image: string }).image : undefined),
      // git:from-image against an app that does not exist: the argument arrives, nothing deploys.
      send: (dokku, s, fx) => dokku.git.fromImage(fx.absentApp, (settings(s).source as { image: string }).image)
    },
    { input: Inputs.ref, reaches: ['runner'], found: (s) => (settings(s).source as { ref?: string }).ref },
    { input: Inputs.path, reaches: ['runner'], found: (s) => (settings(s).source as { workdir?: string }).workdir },
    { input: Inputs.healthcheckUrl, reaches: ['url'], found: (s) => settings(s).healthcheck?.url.href, expected: (raw) => new URL(raw.trim()).href },
    { input: Inputs.environment, reaches: ['url'], found: (s) => settings(s).environment },
    { input: Inputs.githubToken, reaches: ['url'], secret: true, found: (s) => settings(s).githubToken }
  ]
}
