import type { Deps } from '../deps.js'
import type { Profile } from '../profiles/profile.js'
import type { Credential } from '../stores/credential.js'

// A client that sends its refresh before it takes its lock (Codex: the request first, then auth.lock and
// auth.json.lock to write) may spend the token authkeep was about to refresh, or was refreshing.

/** Codex gives up committing its refresh after about 10 s of a busy lock. */
const PEER_COMMIT_WAIT_MS = 12_000
/** How long a peer's answer may take to reach it and make it start its commit. */
const PEER_START_MS = 1_500

/**
 * The credential a peer wrote in place of `seen` (another refresh token), once its commit lands; or
 * undefined when none comes: after PEER_START_MS with no commit on its way (the store says whether the
 * peer waits to write), or after PEER_COMMIT_WAIT_MS in any case.
 */
export async function awaitPeerCommit(
  deps: Deps,
  profile: Profile,
  seen: Credential,
): Promise<Credential | undefined> {
  const store = deps.credentialsOf(profile)
  const started = deps.clock.now().getTime()
  for (;;) {
    await new Promise((r) => setTimeout(r, 100))
    const now = await store.read().catch(() => undefined)
    if (
      now?.state === 'active' &&
      now.refreshToken &&
      now.refreshToken.reveal() !== seen.refreshToken?.reveal()
    )
      return now
    const waited = deps.clock.now().getTime() - started
    // A spent token with no commit on its way is a stale copy's: no need to wait for what will not come.
    if (waited > PEER_COMMIT_WAIT_MS) return undefined
    if (waited > PEER_START_MS && !(await store.peerCommitting?.())) return undefined
  }
}
