import { ExitCode } from '../../errors.js'
import { getToken } from '../../usecases/getToken.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { TokenOptions } from './options.js'

export const tokenRun: Run<TokenOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'token', { agent: true })
  const { credential } = await getToken(deps, profile)
  // Printing the token is this command's whole job, and the only place it is revealed.
  deps.io.out(`${credential.accessToken?.reveal()}\n`)
  return ExitCode.ok
}
