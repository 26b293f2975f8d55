import type { Credential } from '../stores/credential.js'

/**
 * When the daemon refreshes: ahead of every client (twice the profile's margin, but never before two
 * thirds of the token's life), plus up to a quarter more as jitter so machines sharing an account, and
 * the client itself, do not all refresh in the same second. `jitter` is in [0, 1), drawn once per token.
 */
export function refreshDeadline(c: Credential, marginSeconds: number, jitter: number): Date | undefined {
  if (!c.refreshToken) return undefined
  if (!c.accessToken) return new Date(0)
  if (!c.expiresAt) return undefined
  const life = Math.max(0, c.expiresAt.getTime() - c.obtainedAt.getTime())
  const lead = Math.min(2 * marginSeconds * 1000, life / 3) * (1 + jitter / 4)
  return new Date(c.expiresAt.getTime() - lead)
}

/** When the login as a whole ends: the refresh token's end, or, without one, the access token's. */
export function loginEndsAt(c: Credential): Date | undefined {
  return c.refreshToken ? c.refreshExpiresAt : c.expiresAt
}

export interface Backoff {
  minMs: number
  maxMs: number
}

/**
 * Exponential backoff after the n-th consecutive failure (n ≥ 1) with jitter in [0.75, 1.25), capped;
 * a server's Retry-After wins over a shorter delay, but is itself bounded by the cap's hour-scale limit.
 */
export function backoffDelay(
  failures: number,
  policy: Backoff,
  retryAfterSeconds: number | undefined,
  random: number,
): number {
  const exp = policy.minMs * 2 ** Math.min(30, Math.max(0, failures - 1))
  const delay = Math.min(policy.maxMs, exp * (0.75 + random / 2))
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds * 1000, 6 * 3_600_000)
  return Math.max(delay, asked)
}
