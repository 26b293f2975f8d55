import { ExitCode } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { reset } from '../../usecases/reset.js'
import type { Run } from '../dispatch.js'
import type { ResetOptions } from './options.js'

export const resetRun: Run<ResetOptions> = async (deps, opts) => {
  const profile = pickProfile(await loadConfig(deps.paths), opts.profile, deps.processEnv, 'reset')
  await reset(deps, profile, {
    method: opts.method,
    port: opts.port,
    timeoutSeconds: opts.timeout,
    store: undefined,
  })
  return ExitCode.ok
}
