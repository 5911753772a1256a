import type { Ctx } from './ctx.ts'

/** A dokku subcommand: receives the arguments after the command name; returns the exit code. */
export type Handler = (ctx: Ctx, args: string[], command: string) => void | number | Promise<void | number>
