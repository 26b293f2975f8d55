import type { Deps } from '../deps.js'
import { LoginRequiredError } from '../errors.js'
import { isFresh } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import type { Credential } from '../stores/credential.js'
import type { CredentialStore } from '../stores/store.js'
import { type TokenResult, usable } from '../stores/usable.js'
import { withCredentialLock } from './credentialLock.js'
import { awaitPeerCommit } from './peerCommit.js'

/** The longest a waiter sleeps between looks at the lock when no notice of a write arrives. */
const POLL_MS = 75

/**
 * The slow path of the refresh protocol: take the credential's lock, re-read, adopt a token a peer
 * refreshed meanwhile, or refresh once and write atomically; the lock is released in every case.
 * While the lock is busy the waiter watches the credential: a peer's fresh token, as soon as it is
 * written, is adopted without taking the lock at all.
 */
export async function refreshUnderLock(
  deps: Deps,
  profile: Profile,
  seen: Credential,
  force: boolean,
): Promise<TokenResult> {
  try {
    const result = await lockedRefresh(deps, profile, seen, force, true)
    if (result !== PEER_COMMITTING) return result
    // The client refreshed this very token and waits for the lock to write it: let it, and take that.
    const adopted = await awaitPeerCommit(deps, profile, seen)
    if (adopted) return { credential: adopted, source: 'adopted' }
    return await lockedRefresh(deps, profile, seen, force, false)
  } catch (err) {
    // A client that sends its refresh before taking its lock (Codex) may have spent the token while this
    // process held the lock; its write follows once the lock is free, and its new token is adopted.
    if (!(err instanceof LoginRequiredError) || !/refresh_token_reused/.test(err.message)) throw err
    if (!deps.credentialsOf(profile).peerCommitting) throw err
    const adopted = await awaitPeerCommit(deps, profile, seen)
    if (!adopted) throw err
    deps.io.err(
      `authkeep: profile "${profile.name}": another client refreshed the same token at the same moment; using its new token\n`,
    )
    return { credential: adopted, source: 'adopted' }
  }
}

const PEER_COMMITTING = Symbol('a client is waiting to write the refresh it made')

function lockedRefresh(
  deps: Deps,
  profile: Profile,
  seen: Credential,
  force: boolean,
  askPeer: false,
): Promise<TokenResult>
function lockedRefresh(
  deps: Deps,
  profile: Profile,
  seen: Credential,
  force: boolean,
  askPeer: true,
): Promise<TokenResult | typeof PEER_COMMITTING>
async function lockedRefresh(
  deps: Deps,
  profile: Profile,
  seen: Credential,
  force: boolean,
  askPeer: boolean,
): Promise<TokenResult | typeof PEER_COMMITTING> {
  const store = deps.credentialsOf(profile)
  const changes = store.changes()
  try {
    return await withCredentialLock(
      deps,
      profile,
      async () => {
        const current = usable(profile, await store.read())
        if (
          isFresh(current, deps.clock.now(), profile.refreshMarginSeconds) &&
          (!force || refreshedSince(seen, current))
        ) {
          return { credential: current, source: 'adopted' as const }
        }
        // Codex refreshes before it takes any lock; one that holds auth.lock has its answer and waits.
        if (askPeer && (await store.peerCommitting?.())) return PEER_COMMITTING
        // The protocol library and the network are loaded only by the one process that refreshes.
        const { refreshGrant } = await import('./refreshGrant.js')
        return { credential: await refreshGrant(deps, profile, store, current), source: 'refreshed' as const }
      },
      async () => {
        await changes.next(15 + Math.random() * (POLL_MS - 15))
        const written = await peerRefresh(deps, profile, store, seen)
        if (written) throw new Adopted(written)
      },
    )
  } catch (err) {
    if (err instanceof Adopted) return { credential: err.credential, source: 'adopted' }
    throw err
  } finally {
    changes.close()
  }
}

const refreshedSince = (seen: Credential, current: Credential) =>
  current.updatedAt.getTime() !== seen.updatedAt.getTime()

/**
 * A fresh login a peer wrote after `seen`, read without the lock (writes are atomic, so a read sees
 * the old file or the new one); anything else leaves the waiter waiting, and the lock holder's re-read
 * reports what is wrong.
 */
async function peerRefresh(
  deps: Deps,
  profile: Profile,
  store: CredentialStore,
  seen: Credential,
): Promise<Credential | undefined> {
  const current = await store.read().catch(() => undefined)
  if (current?.state !== 'active' || !refreshedSince(seen, current)) return undefined
  return isFresh(current, deps.clock.now(), profile.refreshMarginSeconds) ? current : undefined
}

/** Ends a wait for the lock: a peer's refresh was adopted. Thrown only while no lock is held. */
class Adopted extends Error {
  constructor(readonly credential: Credential) {
    super("adopted a peer's refresh")
  }
}
