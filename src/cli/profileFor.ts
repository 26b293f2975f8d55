import type { Deps } from '../deps.js'
import { loadConfig, pickProfile, pickProfileOrAgent } from '../profiles/configFile.js'
import type { Profile } from '../profiles/profile.js'

/**
 * The profile a command runs for, from the config file: --profile, then $AUTHKEEP_PROFILE, then the only
 * one configured (see pickProfile). With `agent`, one a forwarded token agent serves need not be configured.
 */
export async function profileFor(
  deps: Deps,
  requested: string | undefined,
  command: string,
  opts: { agent?: boolean } = {},
): Promise<Profile> {
  const pick = opts.agent ? pickProfileOrAgent : pickProfile
  return pick(await loadConfig(deps.paths), requested, deps.processEnv, command)
}
