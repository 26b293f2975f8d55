import type { Deps } from '../deps.js'
import { AuthkeepError, LoginRequiredError } from '../errors.js'
import { type RefreshRelay, RelayRefusal, serveCodexRefreshRelay } from '../oauth/codexRefreshRelay.js'
import type { Profile } from '../profiles/profile.js'
import { usable } from '../stores/usable.js'
import { getToken } from './getToken.js'

/**
 * Answers the refreshes of a Codex that authkeep started, under authkeep's refresh protocol: the one
 * lock (with Codex's own flock), a re-read, a peer's fresh token adopted. Codex asking with the token
 * stored now wants a new one (its own 5 minutes came, or the server refused the access token), so that
 * refreshes; asking with an older one means someone refreshed since, and the stored login is the answer.
 */
export function startCodexRelay(deps: Deps, profile: Profile): Promise<RefreshRelay> {
  return serveCodexRefreshRelay({
    clientId: profile.clientId,
    async answer(presented) {
      try {
        const stored = usable(profile, await deps.credentialsOf(profile).read())
        const force = stored.refreshToken?.reveal() === presented
        const { credential } = await getToken(deps, profile, { force })
        const access = credential.accessToken?.reveal()
        const refresh = credential.refreshToken?.reveal()
        if (!access || !refresh) throw new LoginRequiredError(profile.name, 'the stored login has no tokens')
        return { id_token: credential.idToken?.reveal(), access_token: access, refresh_token: refresh }
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err)
        const next = err instanceof AuthkeepError && err.next ? `; run: ${err.next}` : ''
        deps.io.err(`authkeep: Codex asked for a refresh of profile "${profile.name}": ${why}${next}\n`)
        if (err instanceof LoginRequiredError) {
          throw new RelayRefusal(401, 'refresh_token_invalidated', `${why}${next}`)
        }
        throw new RelayRefusal(502, 'upstream_unavailable', why)
      }
    },
  })
}
