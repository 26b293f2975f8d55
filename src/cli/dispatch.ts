import type { Deps } from '../deps.js'
import type { ExitCode } from '../errors.js'

/**
 * A command's body: parsed options in, exit code out (from the table, or for `exec` the child's own).
 * Loaded lazily so start-up only pays for the command run.
 */
export type Run<O> = (deps: Deps, opts: O) => Promise<ExitCode | number>

export type Dispatch = <O>(load: () => Promise<Run<O>>, opts: O) => Promise<void>
