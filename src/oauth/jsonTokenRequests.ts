import type * as oidc from 'openid-client'

/**
 * Claude's token endpoint takes the RFC 6749 parameters as a JSON object rather than a form body, and
 * Codex sends its refresh (only) that way. openid-client builds the form; this fetch re-encodes it for
 * that one endpoint (and `onlyGrant`, when given), once, at the wire.
 */
export function jsonTokenRequests(tokenEndpoint: string, onlyGrant?: string): oidc.CustomFetch {
  return (url, options) => {
    if (url !== tokenEndpoint || !(options.body instanceof URLSearchParams)) return fetch(url, options)
    if (onlyGrant && options.body.get('grant_type') !== onlyGrant) return fetch(url, options)
    const body: Record<string, string | number> = Object.fromEntries(options.body)
    // Claude's long-lived grant takes `expires_in` as a number, as its own client sends it.
    if (typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in))
      body.expires_in = Number(body.expires_in)
    const headers = new Headers(options.headers)
    headers.set('content-type', 'application/json')
    return fetch(url, { ...options, headers, body: JSON.stringify(body) })
  }
}
