import type { Deps } from '../deps.js'
import { isFresh } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import { type TokenResult, usable } from '../stores/usable.js'

/**
 * The refresh protocol: a fresh token is served without locking; otherwise take the credential's lock,
 * re-read, adopt a token a peer refreshed meanwhile, or refresh once and write atomically.
 */
export async function getToken(
  deps: Deps,
  profile: Profile,
  opts: { force?: boolean } = {},
): Promise<TokenResult> {
  // Token-agent forwarding (`authkeep ssh`): on a machine given AUTHKEEP_AGENT_SOCK the login lives on
  // the agent's machine, which refreshes under its own lock and hands back only an access token. The
  // local store is neither read nor written, so no refresh token ever exists here.
  const agentSocket = deps.processEnv.AUTHKEEP_AGENT_SOCK
  if (agentSocket) {
    const { tokenFromAgent } = await import('./agentClient.js')
    return tokenFromAgent(deps, profile, agentSocket, opts.force === true)
  }
  // A fleet host: the fleet's refreshers renew the token; this machine only reads it (src/fleet).
  if (profile.fleet) {
    const { fleetToken } = await import('../fleet/hostToken.js')
    const reading = {
      paths: deps.paths,
      uid: deps.uid,
      host: () => deps.host,
      now: () => deps.clock.now(),
      warn: (line: string) => deps.io.err(line),
    }
    return fleetToken(reading, profile, opts.force === true)
  }
  const seen = usable(profile, await deps.credentialsOf(profile).read())
  if (!opts.force && isFresh(seen, deps.clock.now(), profile.refreshMarginSeconds)) {
    return { credential: seen, source: 'cached' }
  }
  // The lock, the protocol library and the network are loaded only when a refresh is due.
  const { refreshUnderLock } = await import('./refreshUnderLock.js')
  return refreshUnderLock(deps, profile, seen, opts.force === true)
}
