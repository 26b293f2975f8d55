import type * as oidc from 'openid-client'

/**
 * GitHub's token endpoint answers RFC 6749 §5.2 errors (and RFC 8628's `authorization_pending` and
 * `slow_down`) with HTTP 200 instead of 400. openid-client reads a 200 as tokens and fails on the
 * missing `access_token`; this fetch gives such an answer the 400 the RFCs give it, at the wire, for
 * that one endpoint.
 */
export function errorsWithStatus200(tokenEndpoint: string, send: oidc.CustomFetch): oidc.CustomFetch {
  return async (url, options) => {
    const response = await send(url, options)
    if (url !== tokenEndpoint || response.status !== 200) return response
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    const isError =
      typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string'
    return new Response(text, {
      status: isError ? 400 : 200,
      statusText: isError ? 'Bad Request' : response.statusText,
      headers: response.headers,
    })
  }
}
