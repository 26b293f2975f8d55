import { ExitCode } from '../../errors.js'
import { logout, unrevoked } from '../../usecases/logout.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { LogoutOptions } from './options.js'

export const logoutRun: Run<LogoutOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'logout')
  const result = await logout(deps, profile)
  if (!result.loggedIn) {
    deps.io.err(`Profile "${profile.name}" is not logged in; nothing to do.\n`)
    return ExitCode.ok
  }
  if (result.revoked === 'unread') {
    deps.io.err(`Logged out of profile "${profile.name}" but ${unrevoked(profile.name, result)}\n`)
    return ExitCode.ok
  }
  const revoked = {
    yes: 'revoked at the server',
    'no-endpoint': 'not revoked (the server has no revocation endpoint)',
    'no-token': 'nothing to revoke',
    failed: 'NOT revoked at the server',
  }[result.revoked]
  deps.io.err(`Logged out of profile "${profile.name}": ${revoked}; backup kept at ${result.backup}.\n`)
  return ExitCode.ok
}
