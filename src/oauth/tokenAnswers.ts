import type * as oidc from 'openid-client'
import { LIFETIME_FIELDS, saneLifetime } from './lifetimes.js'
import { tokenSyntaxProblem } from './tokenResponse.js'

/** The token endpoint's last 200 answer, as it arrived, and what was changed in it. */
export interface TokenAnswers {
  /** The raw body of the last 200 answer, kept only until the refresh ends; never printed. */
  lastOk: string | undefined
  notes: string[]
}

/**
 * A fetch that sees the token endpoint's successful answers before openid-client does. A 200 means the
 * server may have rotated the refresh token already, so its body is kept (an answer that then fails to
 * parse can still give up its new refresh token), and lifetimes it would reject or turn into an invalid
 * date (negative, strings, 1e300) are made sane, with a note each, rather than failing the whole answer.
 */
export function watchTokenAnswers(
  tokenEndpoint: string,
  inner: oidc.CustomFetch | undefined,
): { fetch: oidc.CustomFetch; answers: TokenAnswers } {
  const answers: TokenAnswers = { lastOk: undefined, notes: [] }
  const fetchFn: oidc.CustomFetch = async (url, options) => {
    const response = await (inner ?? fetch)(url, options)
    if (url !== tokenEndpoint || response.status !== 200) return response
    const body = await response.text()
    answers.lastOk = body
    const headers = new Headers(response.headers)
    headers.delete('content-length')
    headers.delete('content-encoding')
    const rebuilt = (text: string) =>
      new Response(text, { status: 200, statusText: response.statusText, headers })
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return rebuilt(body)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return rebuilt(body)
    const fields = json as Record<string, unknown>
    let changed = false
    for (const field of LIFETIME_FIELDS) {
      const { seconds, note } = saneLifetime(field, fields[field])
      if (!note) continue
      answers.notes.push(note)
      changed = true
      if (seconds === undefined) delete fields[field]
      else fields[field] = seconds
    }
    return rebuilt(changed ? JSON.stringify(fields) : body)
  }
  return { fetch: fetchFn, answers }
}

/** A new refresh token in a 200 answer that failed to parse as a whole, if one can be read from it. */
export function refreshTokenIn(body: string | undefined): string | undefined {
  try {
    const v = (JSON.parse(body ?? '') as Record<string, unknown>)?.refresh_token
    // Kept only if it could be sent and shown as it is: printable ASCII (RFC 6749 Appendix A.17).
    return typeof v === 'string' && v.length > 0 && !tokenSyntaxProblem({ refresh_token: v }) ? v : undefined
  } catch {
    return undefined
  }
}
