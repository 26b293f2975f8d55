/** The wire names of token lifetimes: RFC 6749's, and the refresh token's that Keycloak and Claude send. */
export const LIFETIME_FIELDS = ['expires_in', 'refresh_expires_in', 'refresh_token_expires_in'] as const

// Ten years: far beyond any real token, and far inside what a Date can hold.
export const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400

/**
 * A lifetime in seconds as a server sent it, made usable: a number or numeric string, clamped into
 * [0, ten years]; anything else ignored (as if the server had not said). `note` says what was changed.
 */
export function saneLifetime(
  field: string,
  value: unknown,
): { seconds: number | undefined; note: string | undefined } {
  if (value === undefined) return { seconds: undefined, note: undefined }
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
    // Not echoed: a server that mixes up its fields could put a token here.
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    return { seconds: undefined, note: `${field} (${kind}) is not a number of seconds: ignored` }
  }
  const shown = typeof value === 'string' ? `"${n}"` : String(n)
  if (n < 0) return { seconds: 0, note: `${field} ${shown} is negative: taken as 0` }
  if (n > MAX_LIFETIME_SECONDS) {
    return {
      seconds: MAX_LIFETIME_SECONDS,
      note: `${field} ${shown} is beyond ten years: taken as ten years`,
    }
  }
  const note = typeof value === 'string' ? `${field} ${shown} is a string: taken as ${n}` : undefined
  return { seconds: n, note }
}
