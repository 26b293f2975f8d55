import type { TokenEndpointResponse } from 'openid-client'
import { ServerUnavailableError } from '../errors.js'
import { Secret } from '../secret.js'
import type { Credential, SecretsLocation } from '../stores/credential.js'
import { saneLifetime } from './lifetimes.js'

/** Some servers (Keycloak, Claude's) say when the refresh token ends; RFC 6749 has no field for it. */
function refreshExpiresIn(tokens: TokenEndpointResponse): number | undefined {
  const v = saneLifetime('refresh_expires_in', tokens.refresh_expires_in ?? tokens.refresh_token_expires_in)
  return v.seconds !== undefined && v.seconds > 0 ? v.seconds : undefined
}

/** RFC 6750 §2.1 b64token: what a Bearer header carries, and all that `authkeep token` ever prints. */
const ACCESS_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/** RFC 6749 Appendix A.17 (refresh token) and the JWS compact form (ID token): printable ASCII. */
const VSCHAR = /^[\x20-\x7e]+$/

/**
 * Why the tokens in a response cannot be kept, or undefined. A token with an ESC, a BEL or a newline
 * would be printed raw by `authkeep token` and sent raw in a header: it is refused before it is stored.
 */
export function tokenSyntaxProblem(tokens: {
  access_token?: unknown
  refresh_token?: unknown
  id_token?: unknown
}): string | undefined {
  const bad = (name: string, rule: string) => `its "${name}" has characters outside ${rule}`
  if (typeof tokens.access_token === 'string' && !ACCESS_TOKEN.test(tokens.access_token))
    return bad('access_token', 'the token syntax of RFC 6750 (letters, digits and -._~+/ then =)')
  if (typeof tokens.refresh_token === 'string' && !VSCHAR.test(tokens.refresh_token))
    return bad('refresh_token', 'printable ASCII (RFC 6749)')
  if (typeof tokens.id_token === 'string' && !VSCHAR.test(tokens.id_token))
    return bad('id_token', 'printable ASCII')
  return undefined
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
  const problem = tokenSyntaxProblem(tokens)
  if (problem) {
    throw new ServerUnavailableError(
      `the authorization server's token response for profile "${ctx.profile}" was refused: ${problem}; nothing was stored`,
      `authkeep ${previous ? 'refresh' : 'login'} --profile ${ctx.profile}`,
    )
  }
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
