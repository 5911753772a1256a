import packageJson from '../../package.json' with { type: 'json' }

/**
 * This toolkit's version, read from package.json so that there is one place to change it: the
 * release bumps package.json, and ncc inlines the file into each bundle under dist/.
 */
export const TOOL_VERSION: string = packageJson.version
