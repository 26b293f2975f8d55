import { ExitCode } from '../../errors.js'
import { reset } from '../../usecases/reset.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { ResetOptions } from './options.js'

export const resetRun: Run<ResetOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'reset')
  await reset(deps, profile, {
    method: opts.method,
    port: opts.port,
    timeoutSeconds: opts.timeout,
    store: undefined,
  })
  return ExitCode.ok
}
