// The converge engine's one shape of a plan, shared by every action and the root action: typed
// steps that each say which resource, what it is now, what it should be, what will be done and
// why; plus what the reader should know (notes), what needs attention (notices) and what is on
// the host that the caller did not name (unmanaged: reported, never destroyed).
import { ConfigurationError } from '../errors.js'

/**
 * One change to the host. `current` and `wanted` are descriptions for a person, never secret
 * values (use `secretTransition`); whatever apply needs beyond them sits in `detail`, which is
 * never rendered nor written to an output.
 */
export interface Step<Detail = unknown> {
  /** What is changed: `service uro-db`, `app uro config URL`. */
  resource: string
  current: string
  wanted: string
  /** What will be done, as a verb phrase: `create`, `set`, `link to uro`. */
  action: string
  reason: string
  detail: Detail
}

/** Something on the host that the file or inputs do not name. It is left as it is. */
export interface Unmanaged {
  resource: string
  /** What it is and why it is only reported. */
  note: string
}

export interface Plan<S extends Step = Step> {
  steps: S[]
  /** For the reader: what happens later, what is left in place. */
  notes: string[]
  /** Warnings: drift this run does not repair, things a person should look at. */
  notices: string[]
  unmanaged: Unmanaged[]
}

export function emptyPlan<S extends Step = Step>(): Plan<S> {
  return { steps: [], notes: [], notices: [], unmanaged: [] }
}

/** The words a plan uses for a value that is absent, and for a secret. */
export const ABSENT = '(absent)'
const SECRET_SET = '(secret)'
const SECRET_CHANGED = '(secret, changed)'

/** current/wanted of a secret value: whether it is there, and that it changes — never the value. */
export function secretTransition(current: string | undefined): { current: string; wanted: string } {
  return { current: current === undefined ? ABSENT : SECRET_SET, wanted: SECRET_CHANGED }
}

/**
 * The caller asked for something the host's state rules out, found while planning (so before any
 * change). `subject` is what the caller can change to fix it; each caller maps subjects to its own
 * input names with `planErrorAsUserError`.
 */
export class PlanError extends Error {
  readonly subject: string | undefined
  constructor(message: string, subject?: string) {
    super(message)
    this.name = 'PlanError'
    this.subject = subject
  }
}

/**
 * The one place a PlanError becomes what the user sees: a ConfigurationError naming the input
 * when one fixes it, a plain Error when only the host can be changed. `inputs` maps a subject to
 * the caller's input name; without it the subject is taken to be the input name.
 */
export function planErrorAsUserError(error: PlanError, inputs?: Readonly<Partial<Record<string, string>>>): Error {
  const input = error.subject === undefined ? undefined : inputs ? inputs[error.subject] : error.subject
  return input ? new ConfigurationError(error.message, input) : new Error(error.message)
}

/** Runs a pure planner; a PlanError it throws comes out as the user's error (see planErrorAsUserError). */
export function planOrExplain<T>(plan: () => T, inputs?: Readonly<Partial<Record<string, string>>>): T {
  try {
    return plan()
  } catch (error) {
    if (error instanceof PlanError) throw planErrorAsUserError(error, inputs)
    throw error
  }
}
