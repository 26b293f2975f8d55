import { ExitCode } from '../../errors.js'
import { getToken } from '../../usecases/getToken.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { RefreshOptions } from './options.js'

export const refreshRun: Run<RefreshOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'refresh', { agent: true })
  if (profile.kind === 'copilot') {
    deps.io.err(
      `Profile "${profile.name}": a GitHub token has no expiry and no refresh token, so there is nothing to refresh; if GitHub revoked it, run: authkeep login --profile ${profile.name}\n`,
    )
    return ExitCode.ok
  }
  const { credential, source } = await getToken(deps, profile, { force: opts.force === true })
  const until = credential.expiresAt ? ` until ${credential.expiresAt.toISOString()}` : ''
  const what = {
    cached: `still valid${until}; nothing to do (add --force to refresh anyway)`,
    adopted: `refreshed by another process meanwhile; valid${until}`,
    refreshed: `refreshed; valid${until}`,
  }[source]
  deps.io.err(`Profile "${profile.name}": access token ${what}.\n`)
  return ExitCode.ok
}
