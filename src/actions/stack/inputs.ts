import { convergeMode, type ConvergeMode } from '../../core/converge/apply.js'
import { readCommonInputs, type CommonSettings } from '../../core/inputs/common.js'
import { invalid, type InputReader } from '../../core/inputs/readers.js'

export const Inputs = {
  stackFile: 'stack-file',
  check: 'check',
  verify: 'verify',
  objectStoreEndpoint: 'object-store-endpoint'
} as const

export const Outputs = {
  changed: 'changed',
  plan: 'plan'
} as const

export interface StackSettings extends CommonSettings {
  stackFile: string
  mode: ConvergeMode
  /** Probe each routed app's domains (with its health path) from the runner after converging. */
  verify: boolean
  /** Where the runner reaches the object store's S3 port; undefined: https://<object-store.domain>. */
  objectStoreEndpoint: string | undefined
}

/** Reads and checks the root action's own inputs, before the stack file and before connecting. */
export function readStackInputs(inputs: InputReader): StackSettings {
  const common = readCommonInputs(inputs)
  const stackFile = inputs.string(Inputs.stackFile, 'dokku-stack.yml')
  if (stackFile.includes('\n')) throw invalid(Inputs.stackFile, stackFile, 'must be one path', 'For example dokku-stack.yml or deploy/dokku-stack.yml.')
  const check = inputs.boolean(Inputs.check, false)
  const endpoint = inputs.url(Inputs.objectStoreEndpoint, { protocols: ['https:', 'http:'] })
  return {
    ...common,
    stackFile,
    mode: convergeMode({ check, dryRun: common.dryRun }),
    verify: inputs.boolean(Inputs.verify, true),
    objectStoreEndpoint: endpoint ? inputs.optional(Inputs.objectStoreEndpoint) : undefined
  }
}
