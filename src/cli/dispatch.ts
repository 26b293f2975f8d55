import type { Deps } from '../deps.js'
import type { ExitCode } from '../errors.js'

/** A command's body: parsed options in, exit code out. Loaded lazily so start-up only pays for the command run. */
export type Run<O> = (deps: Deps, opts: O) => Promise<ExitCode>

export type Dispatch = <O>(load: () => Promise<Run<O>>, opts: O) => Promise<void>
