import type { TokenEndpointResponse } from 'openid-client'
import { Secret } from '../secret.js'
import type { Credential, SecretsLocation } from '../stores/credential.js'
import { saneLifetime } from './lifetimes.js'

/** Some servers (Keycloak, Claude's) say when the refresh token ends; RFC 6749 has no field for it. */
function refreshExpiresIn(tokens: TokenEndpointResponse): number | undefined {
  const v = saneLifetime('refresh_expires_in', tokens.refresh_expires_in ?? tokens.refresh_token_expires_in)
  return v.seconds !== undefined && v.seconds > 0 ? v.seconds : undefined
}

/**
 * The one place where wire names (`expires_in`, `refresh_token`) become the stored model.
 * A refresh response without a refresh token keeps the previous one (RFC 6749 §6).
 */
export function credentialFromTokens(
  tokens: TokenEndpointResponse,
  ctx: {
    profile: string
    now: Date
    host: string
    secretsIn: SecretsLocation
    previous?: Credential | undefined
  },
): Credential {
  const { now, previous } = ctx
  // Clamped again here (the refresh path notes it at the wire): no lifetime may make an invalid date.
  const at = (seconds: unknown) => {
    const sane = saneLifetime('expires_in', seconds).seconds
    return sane === undefined ? undefined : new Date(now.getTime() + Math.round(sane * 1000))
  }
  const newRefresh = tokens.refresh_token !== undefined
  return {
    profile: ctx.profile,
    state: 'active',
    stateReason: undefined,
    tokenType: tokens.token_type ?? 'Bearer',
    accessToken: new Secret(tokens.access_token),
    refreshToken: newRefresh ? new Secret(tokens.refresh_token as string) : previous?.refreshToken,
    idToken: tokens.id_token !== undefined ? new Secret(tokens.id_token) : previous?.idToken,
    scope: tokens.scope ?? previous?.scope,
    expiresAt: at(tokens.expires_in),
    refreshExpiresAt: newRefresh ? at(refreshExpiresIn(tokens)) : previous?.refreshExpiresAt,
    obtainedAt: now,
    updatedAt: now,
    host: ctx.host,
    secretsIn: ctx.secretsIn,
    extra: previous?.extra ?? {},
  }
}

/**
 * Due for refresh `margin` seconds before expiry, but never earlier than three quarters of the token's
 * life, so a server that issues 60-second tokens does not make every call a refresh.
 */
export function isFresh(c: Credential, now: Date, marginSeconds: number): boolean {
  if (!c.accessToken) return false
  if (!c.expiresAt) return true
  const life = c.expiresAt.getTime() - c.obtainedAt.getTime()
  const margin = Math.min(marginSeconds * 1000, Math.max(0, life / 4))
  return now.getTime() < c.expiresAt.getTime() - margin
}
