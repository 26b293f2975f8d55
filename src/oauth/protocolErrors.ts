import * as oidc from 'openid-client'
import { AuthkeepError, LoginRequiredError, ServerUnavailableError } from '../errors.js'
import { printable } from '../printable.js'
import { maskIn, type Secret } from '../secret.js'
import { quoteInput } from '../validation.js'

export interface ErrorContext {
  profile: string
  /** What was being done, for the message: "refresh the token", "start the device login". */
  action: string
  /** The command that would fix or retry it. */
  next: string
  /** The tokens sent in the request: masked wherever the server's answer echoes them. */
  secrets?: readonly (Secret | undefined)[]
}

/**
 * What went wrong at the server, without any value that could be a secret. The server's words (`error`,
 * `error_description`, a malformed answer) are printable, bounded, and mask the secrets the caller names.
 */
export interface ServerFailure {
  status: number | undefined
  error: string | undefined
  description: string | undefined
  retryAfterSeconds: number | undefined
  transient: boolean
  /** The server's TLS certificate failed verification here: retrying cannot help, a CA or the clock can. */
  untrustedCertificate?: true
}

// Node's and OpenSSL's verification failures (SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
// CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…), as opposed to a handshake that timed out or was reset.
const CERTIFICATE = /CERT|SIGNATURE/

export function responseOf(err: unknown): Response | undefined {
  for (let e = err as { cause?: unknown; response?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (e instanceof Response) return e
    if (e.response instanceof Response) return e.response
    e = e.cause as typeof e
  }
  return undefined
}

/** A short name for a failure to talk to the server at all: ECONNREFUSED, timeout, a TLS error. */
function networkCode(err: unknown): string | undefined {
  type Link = { cause?: unknown; code?: unknown; name?: unknown; message?: unknown } | undefined
  let fetchFailed = false
  let last: string | undefined
  for (let e = err as Link, i = 0; e && i < 6; i++, e = e.cause as Link) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
    if (
      typeof e.code === 'string' &&
      /^(E[A-Z_]+|UND_ERR_[A-Z_]+|ERR_TLS_[A-Z_]+|[A-Z_]*(CERT|SIGNATURE)[A-Z_]*)$/.test(e.code)
    ) {
      return e.code
    }
    if (e instanceof TypeError && e.message === 'fetch failed') fetchFailed = true
    else if (fetchFailed && typeof e.message === 'string') last = e.message
  }
  return fetchFailed ? (last ?? 'fetch failed') : undefined
}

export function describeFailure(
  err: unknown,
  secrets: readonly (Secret | undefined)[] = [],
): ServerFailure | undefined {
  const said = (text: string | undefined, max = 300) =>
    text === undefined ? undefined : printable(maskIn(text, secrets), max)
  const response = responseOf(err)
  const status = err instanceof oidc.ResponseBodyError ? err.status : response?.status
  const header = response?.headers.get('retry-after')
  const retryAfter = header ? Number(header) : Number.NaN
  const base = {
    status,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  }
  if (err instanceof oidc.ResponseBodyError) {
    return {
      ...base,
      error: said(err.error, 64),
      description: said(err.error_description),
      transient: err.status >= 500 || err.status === 429 || err.error === 'temporarily_unavailable',
    }
  }
  const net = networkCode(err)
  if (net && CERTIFICATE.test(net)) {
    return {
      ...base,
      error: undefined,
      description: said(net),
      transient: false,
      untrustedCertificate: true,
    }
  }
  if (net) return { ...base, error: undefined, description: said(net), transient: true }
  const refused = refusedAnswer(err)
  if (refused) return { ...base, error: undefined, description: refused, transient: false }
  if (status !== undefined || (err as { code?: string })?.code?.startsWith('OAUTH_')) {
    return {
      ...base,
      error: undefined,
      description: said(
        status === undefined || status < 300
          ? `the server's answer is not a valid token response: ${(err as Error).message}`
          : (err as Error).message,
      ),
      transient: status === undefined || status >= 500 || status === 429,
    }
  }
  return undefined
}

interface JwtCheck {
  header?: { alg?: unknown }
  expected?: unknown
  claim?: unknown
  claims?: Record<string, unknown>
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v))

/**
 * Why this client refused what the server sent: an ID token (wrong algorithm, issuer, audience, nonce,
 * times) or an authorization response from another issuer. A check that fails the same way on every
 * retry, so not "try again later". openid-client wraps oauth4webapi's error, whose message and
 * structured cause name the check; no value but an algorithm or an issuer is shown.
 */
export function refusedAnswer(err: unknown): string | undefined {
  // The innermost matching error is oauth4webapi's, whose cause holds the details; openid-client's
  // wrapper around it has a vaguer message ("unexpected JWT claim value encountered").
  const chain: { cause?: unknown; message?: unknown }[] = []
  for (let e = err as (typeof chain)[number] | undefined, i = 0; e && i < 4; i++, e = e.cause as typeof e)
    chain.push(e)
  for (const e of chain.reverse()) {
    const message = typeof e.message === 'string' ? e.message : ''
    if (/^unexpected "iss" \(issuer\) response parameter value|^response parameter "iss"/.test(message)) {
      const d = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as {
        expected?: unknown
        parameters?: URLSearchParams
      }
      const got = d.parameters?.get('iss')
      return got
        ? `the authorization response comes from issuer "${quoteInput(got)}", not the profile's issuer "${String(d.expected)}" (RFC 9207: a possible mix-up of servers)`
        : 'the authorization response names no issuer, though the server says it always does (RFC 9207)'
    }
    if (/JWT|ID Token|"id_token"/.test(message)) {
      const d = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as JwtCheck
      if (/"alg"/.test(message)) {
        const alg = quoteInput(String(d.header?.alg), 16)
        const hmac = alg.startsWith('HS')
          ? '; an HMAC-signed ID token needs the client secret (profile add --client-secret)'
          : ''
        return `the ID token is signed with ${alg}, which this profile does not accept (it accepts ${list(d.expected) || 'none'})${hmac}`
      }
      if (d.claim === 'iss')
        return `the ID token's issuer "${quoteInput(String(d.claims?.iss))}" is not the profile's issuer "${String(d.expected)}"`
      if (d.claim === 'nonce')
        return "the ID token's nonce is not this login's (an ID token replayed or injected from another login)"
      if (d.claim === 'aud' || d.claim === 'azp')
        return 'the ID token was issued to another client (its audience)'
      if (/timestamp|"exp"|"iat"|"nbf"|auth_time/.test(message))
        return `the ID token's times do not fit this machine's clock (${message})`
      return `the ID token failed validation (${message})`
    }
  }
  return undefined
}

/** Maps what openid-client and fetch throw onto the exit-code table. Unknown errors pass through as bugs. */
export function toAuthkeepError(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof AuthkeepError) return err
  const refused = refusedAnswer(err)
  if (refused) {
    return new AuthkeepError(
      `the server's answer was refused here, so authkeep could not ${ctx.action} for profile "${ctx.profile}": ${refused}`,
      { next: `authkeep profile show ${ctx.profile}`, cause: err },
    )
  }
  const f = describeFailure(err, ctx.secrets)
  if (!f) return err
  if (f.error === 'invalid_grant') {
    return new LoginRequiredError(
      ctx.profile,
      `the server no longer accepts the login of profile "${ctx.profile}" (invalid_grant${f.description ? `: ${f.description}` : ''})`,
      err,
    )
  }
  if (f.untrustedCertificate) {
    return new AuthkeepError(
      `could not ${ctx.action} for profile "${ctx.profile}": the server's TLS certificate is not trusted here (${f.description}); behind a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS to its CA file`,
      { next: `authkeep doctor --online --profile ${ctx.profile}`, cause: err },
    )
  }
  const what = f.error
    ? `${f.error}${f.description ? `: ${f.description}` : ''}`
    : (f.description ?? 'no details')
  const status = f.status ? `HTTP ${f.status}, ` : ''
  if (f.transient) {
    const retry =
      f.retryAfterSeconds !== undefined ? `; the server asks to retry after ${f.retryAfterSeconds}s` : ''
    return new ServerUnavailableError(
      `could not ${ctx.action} for profile "${ctx.profile}" (${status}${what})${retry}`,
      ctx.next,
      err,
    )
  }
  return new AuthkeepError(
    `the authorization server refused to ${ctx.action} for profile "${ctx.profile}" (${status}${what})`,
    {
      // A refused client id is a profile problem; logging in again would fail the same way.
      next: f.error === 'invalid_client' ? `authkeep profile show ${ctx.profile}` : ctx.next,
      cause: err,
    },
  )
}
