import type { Deps } from '../deps.js'
import { AuthkeepError, LoginRequiredError, UsageError } from '../errors.js'
import {
  type RefreshRelay,
  RelayRefusal,
  type RelayTokens,
  serveCodexRefreshRelay,
} from '../oauth/codexRefreshRelay.js'
import { isFresh } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { usable } from '../stores/usable.js'
import { withCredentialLock } from './credentialLock.js'
import { getToken } from './getToken.js'

/**
 * What a machine served by the token agent writes as Codex's refresh token: Codex will not run without
 * one, and the real one stays on the agent's machine. Codex sends it only to the relay.
 */
export const AGENT_REFRESH_TOKEN = 'authkeep-agent-relay'

/**
 * Answers the refreshes of a Codex that authkeep started, under authkeep's refresh protocol: the one
 * lock (with Codex's own flock), a re-read, a peer's fresh token adopted. Codex asking with the token
 * stored now wants a new one (its own 5 minutes came, or the server refused the access token), so that
 * refreshes; asking with an older one means someone refreshed since, and the stored login is the answer.
 * On a machine given AUTHKEEP_AGENT_SOCK the agent's machine answers instead (see codexLoginFromAgent).
 */
export function startCodexRelay(deps: Deps, profile: Profile): Promise<RefreshRelay> {
  const viaAgent = deps.processEnv.AUTHKEEP_AGENT_SOCK !== undefined
  return serveCodexRefreshRelay({
    clientId: profile.clientId,
    async answer(presented) {
      try {
        return viaAgent ? await fromAgent(deps, profile) : await fromStore(deps, profile, presented)
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

async function fromStore(deps: Deps, profile: Profile, presented: string): Promise<RelayTokens> {
  const stored = usable(profile, await deps.credentialsOf(profile).read())
  const force = stored.refreshToken?.reveal() === presented
  const { credential } = await getToken(deps, profile, { force })
  const access = credential.accessToken?.reveal()
  const refresh = credential.refreshToken?.reveal()
  if (!access || !refresh) throw new LoginRequiredError(profile.name, 'the stored login has no tokens')
  return { id_token: credential.idToken?.reveal(), access_token: access, refresh_token: refresh }
}

async function fromAgent(deps: Deps, profile: Profile): Promise<RelayTokens> {
  const written = await deps.credentialsOf(profile).read()
  // Codex asks at its 5 minutes, or sooner when the server refused its access token: then the agent is
  // asked for a new one, not for the one it already gave. Codex writes the answer itself: a write here
  // while it waits would be "account credentials changed during refresh" to it.
  const refused = written !== undefined && isFresh(written, deps.clock.now(), profile.refreshMarginSeconds)
  const { credential } = await getToken(deps, profile, { force: refused })
  return { ...agentLogin(profile, credential), refresh_token: AGENT_REFRESH_TOKEN }
}

/**
 * Puts the agent's access and ID tokens into this machine's Codex auth.json, with AGENT_REFRESH_TOKEN
 * in place of the refresh token, which never leaves the agent's machine. A login of this machine's own
 * in that file is never replaced.
 */
export async function codexLoginFromAgent(deps: Deps, profile: Profile, force: boolean): Promise<Credential> {
  const store = deps.credentialsOf(profile)
  const { credential } = await getToken(deps, profile, { force })
  agentLogin(profile, credential)
  const login: Credential = { ...credential, refreshToken: new Secret(AGENT_REFRESH_TOKEN) }
  await withCredentialLock(deps, profile, async () => {
    const own = await store.read().catch(() => undefined)
    const ownRefresh = own?.refreshToken?.reveal()
    if (ownRefresh && ownRefresh !== AGENT_REFRESH_TOKEN) {
      throw new UsageError(
        `${store.file ?? 'auth.json'} holds this machine's own Codex login; the agent's would replace it`,
        `authkeep logout --profile ${profile.name} (it keeps a backup), or unset AUTHKEEP_AGENT_SOCK`,
      )
    }
    await store.write(login)
  })
  return login
}

/** The tokens Codex needs from the agent's answer: it takes its account from the ID token. */
function agentLogin(profile: Profile, c: Credential): { id_token: string; access_token: string } {
  const id = c.idToken?.reveal()
  const access = c.accessToken?.reveal()
  if (!id || !access) {
    throw new AuthkeepError(
      `the authkeep agent sent no ID token for profile "${profile.name}", and Codex needs one`,
      {
        next: "npm install -g authkeep@latest (on the agent's machine)",
      },
    )
  }
  return { id_token: id, access_token: access }
}
