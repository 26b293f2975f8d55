import { stat } from 'node:fs/promises'
import * as oidc from 'openid-client'
import type { Deps } from '../deps.js'
import { LoginRequiredError } from '../errors.js'
import { clientConfig } from '../oauth/client.js'
import { describeFailure, toAuthkeepError } from '../oauth/protocolErrors.js'
import { DEFAULT_RETRY, withRetry } from '../oauth/retry.js'
import { credentialFromTokens, isFresh } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import { assertRoomFor } from '../stores/atomicFile.js'
import type { Credential } from '../stores/credential.js'
import { withClientSecret } from './clientSecret.js'
import { withCredentialLock } from './credentialLock.js'
import { type TokenResult, usable } from './getToken.js'

/**
 * The slow path of the refresh protocol: take the credential's lock, re-read, adopt a token a peer
 * refreshed meanwhile, or refresh once and write atomically; the lock is released in every case.
 */
export async function refreshUnderLock(
  deps: Deps,
  profile: Profile,
  seen: Credential,
  force: boolean,
): Promise<TokenResult> {
  return withCredentialLock(deps, profile, async () => {
    const current = usable(profile, await deps.storeFor(profile).read(profile.name))
    const peerRefreshed = current.updatedAt.getTime() !== seen.updatedAt.getTime()
    if (isFresh(current, deps.clock.now(), profile.refreshMarginSeconds) && (!force || peerRefreshed)) {
      return { credential: current, source: 'adopted' }
    }
    return { credential: await refresh(deps, profile, current), source: 'refreshed' }
  })
}

async function refresh(deps: Deps, profile: Profile, current: Credential): Promise<Credential> {
  const refreshToken = current.refreshToken
  if (!refreshToken) {
    throw new LoginRequiredError(
      profile.name,
      `the access token of profile "${profile.name}" expired and there is no refresh token`,
    )
  }
  // A rotated refresh token that cannot be saved is gone for good: make sure it could be, first.
  const store = deps.storeFor(profile)
  const file = store.recordFile(profile.name)
  await assertRoomFor(file, 2 * ((await stat(file).catch(() => undefined))?.size ?? 0) + 4096)
  const config = clientConfig(await withClientSecret(deps, profile))
  let tokens: oidc.TokenEndpointResponse
  try {
    tokens = await withRetry(
      () =>
        oidc.refreshTokenGrant(
          config,
          refreshToken.reveal(),
          profile.refreshScope ? { scope: profile.refreshScope } : undefined,
        ),
      DEFAULT_RETRY,
      (ms, err) =>
        deps.io.err(
          `authkeep: the token endpoint failed (${describeFailure(err)?.description ?? 'no details'}); retrying in ${(ms / 1000).toFixed(1)}s\n`,
        ),
    )
  } catch (err) {
    const mapped = toAuthkeepError(err, {
      profile: profile.name,
      action: 'refresh the token',
      next: `authkeep refresh --profile ${profile.name}`,
    })
    if (mapped instanceof LoginRequiredError) await markLoginRequired(deps, profile, current, mapped.message)
    throw mapped
  }
  const next = credentialFromTokens(tokens, {
    profile: profile.name,
    now: deps.clock.now(),
    host: deps.host,
    secretsIn: current.secretsIn,
    previous: current,
  })
  // Written even if a stale-lock takeover happened meanwhile: the old refresh token is spent, so this
  // new grant is the only one left worth keeping.
  await deps.storeFor(profile).write(next)
  return next
}

/** Keeps the record, so what was there can still be seen and restored; only marks it as needing login. */
async function markLoginRequired(
  deps: Deps,
  profile: Profile,
  current: Credential,
  reason: string,
): Promise<void> {
  const store = deps.storeFor(profile)
  const latest = await store.read(current.profile)
  // A peer that took a stale lock over may have written a good grant meanwhile: never clobber it.
  if (!latest || latest.updatedAt.getTime() !== current.updatedAt.getTime()) return
  const now = deps.clock.now()
  await store.write({
    ...current,
    state: 'login_required',
    stateReason: `${reason} (seen ${now.toISOString()})`,
    updatedAt: now,
  })
}
