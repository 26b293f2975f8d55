import * as oidc from 'openid-client'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import type { Secret } from '../secret.js'
import { clientConfig, publishedAuthMethods } from './client.js'
import { describeFailure, responseOf } from './protocolErrors.js'

export type RevocationOutcome = { revoked: true } | { revoked: false; why: string }

/** Can this client revoke at all? A public one cannot where the endpoint lists no `none` method. */
export function revocationNeedsClientAuth(profile: Profile): boolean {
  const methods = publishedAuthMethods(profile, 'revocation')
  return !profile.clientSecret && methods !== undefined && !methods.includes('none')
}

/**
 * RFC 7009 revocation, authenticated as the endpoint's metadata allows. A refusal is described as the
 * server gave it: its HTTP status, its error, the authentication scheme it asks for and the methods
 * its metadata lists, never as the parse error its (often non-JSON) body would raise.
 */
export async function revokeToken(
  profile: Profile,
  token: Secret,
  hint: 'refresh_token' | 'access_token',
): Promise<RevocationOutcome> {
  try {
    await oidc.tokenRevocation(clientConfig(profile, 'revocation'), token.reveal(), { token_type_hint: hint })
    return { revoked: true }
  } catch (err) {
    return { revoked: false, why: revocationFailure(profile, err, token) }
  }
}

function revocationFailure(profile: Profile, err: unknown, token: Secret): string {
  const f = describeFailure(err, [token])
  if (!f) return printable((err as Error).message, 300)
  const parts: string[] = []
  if (f.status !== undefined) parts.push(`HTTP ${f.status}`)
  if (f.error) parts.push(`${f.error}${f.description ? `: ${f.description}` : ''}`)
  else if (f.status === undefined && f.description) parts.push(f.description)
  const scheme = responseOf(err)?.headers.get('www-authenticate')?.trim().split(/\s/)[0]
  if (scheme) parts.push(`it asks for ${printable(scheme, 40)} authentication`)
  const unauthenticated = f.status === 401 || f.error === 'invalid_client'
  const methods = publishedAuthMethods(profile, 'revocation')
  if (unauthenticated && methods) parts.push(`its metadata lists ${methods.join(', ')}`)
  if (unauthenticated && !profile.clientSecret) parts.push('this profile has no client secret')
  return parts.join('; ') || 'no details'
}
