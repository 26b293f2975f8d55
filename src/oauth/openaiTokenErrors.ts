import type * as oidc from 'openid-client'

/** The refresh failures Codex itself treats as permanent: the login must be made again. */
const PERMANENT = new Set(['refresh_token_reused', 'refresh_token_expired', 'refresh_token_invalidated'])

/**
 * OpenAI's token endpoint refuses a spent, expired or revoked refresh token with HTTP 401 and
 * `{"error":{"code":"refresh_token_reused","message":…}}` instead of RFC 6749 §5.2's 400 `invalid_grant`.
 * This fetch rewrites exactly those answers into the RFC form, so they mean "log in again" here too.
 */
export function openaiTokenErrors(tokenEndpoint: string, send: oidc.CustomFetch): oidc.CustomFetch {
  return async (url, options) => {
    const response = await send(url, options)
    if (url !== tokenEndpoint || response.status !== 401) return response
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined
    const code = body?.error?.code
    if (typeof code !== 'string' || !PERMANENT.has(code)) return response
    const message = typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''
    return new Response(JSON.stringify({ error: 'invalid_grant', error_description: `${code}${message}` }), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    })
  }
}
