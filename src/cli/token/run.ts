import { ExitCode } from '../../errors.js'
import { loadConfig, pickProfileOrAgent } from '../../profiles/configFile.js'
import { getToken } from '../../usecases/getToken.js'
import type { Run } from '../dispatch.js'
import type { TokenOptions } from './options.js'

export const tokenRun: Run<TokenOptions> = async (deps, opts) => {
  const profile = pickProfileOrAgent(await loadConfig(deps.paths), opts.profile, deps.processEnv, 'token')
  const { credential } = await getToken(deps, profile)
  // Printing the token is this command's whole job, and the only place it is revealed.
  deps.io.out(`${credential.accessToken?.reveal()}\n`)
  return ExitCode.ok
}
