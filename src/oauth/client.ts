import * as oidc from 'openid-client'
import { AuthkeepError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { errorsWithStatus200 } from './errorsWithStatus200.js'
import { httpTimeoutSeconds } from './httpTimeout.js'
import { jsonTokenRequests } from './jsonTokenRequests.js'
import { openaiTokenErrors } from './openaiTokenErrors.js'

// An ID token that comes straight from the token endpoint over TLS is not signature-checked (OpenID
// Connect Core 3.1.3.7, and openid-client does not), so any asymmetric algorithm the server uses is as
// good as RS256. An HMAC-signed one is keyed with the client secret: only a client that has one can
// expect it from a genuine server.
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']
const EDDSA = ['EdDSA', 'Ed25519', 'Ed448']
const SYMMETRIC = ['HS256', 'HS384', 'HS512']

/** The ID token algorithms this profile accepts: what the server publishes, of what authkeep can take. */
export function acceptedIdTokenAlgs(profile: Profile): string[] {
  const usable = [...ASYMMETRIC, ...EDDSA, ...(profile.clientSecret ? SYMMETRIC : [])]
  const listed = profile.metadata.idTokenSigningAlgs
  return listed ? listed.filter((alg) => usable.includes(alg)) : usable
}

export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post'
export type AuthenticatedEndpoint = 'token' | 'revocation'

/** The methods an endpoint publishes; a revocation endpoint that lists none takes the token endpoint's. */
export function publishedAuthMethods(
  profile: Profile,
  endpoint: AuthenticatedEndpoint,
): string[] | undefined {
  const m = profile.metadata
  return endpoint === 'revocation'
    ? (m.revocationEndpointAuthMethods ?? m.tokenEndpointAuthMethods)
    : m.tokenEndpointAuthMethods
}

/**
 * How this client authenticates at an endpoint: not at all without a secret; with one, HTTP Basic
 * unless the server lists only client_secret_post (RFC 8414: an absent list means client_secret_basic).
 */
export function clientAuthMethod(profile: Profile, endpoint: AuthenticatedEndpoint): ClientAuthMethod {
  if (!profile.clientSecret) return 'none'
  const listed = publishedAuthMethods(profile, endpoint)
  if (!listed || listed.includes('client_secret_basic')) return 'client_secret_basic'
  if (listed.includes('client_secret_post')) return 'client_secret_post'
  throw new AuthkeepError(
    `the ${endpoint} endpoint of profile "${profile.name}" takes only ${listed.join(', ')}; authkeep sends a client secret as client_secret_basic or client_secret_post`,
    { next: `authkeep profile show ${profile.name}` },
  )
}

type IssuedBody = { access_token?: unknown; refresh_token?: unknown }
/** The last successful token response for each profile object, for revoking a grant the client then refused. */
const issued = new WeakMap<Profile, IssuedBody>()

/**
 * The tokens of the last successful token response for this profile, also when it then failed
 * validation here (say, its ID token), so the grant the server already issued can be revoked.
 */
export function issuedTokens(profile: Profile): { refreshToken?: string; accessToken?: string } {
  const body = issued.get(profile)
  return {
    ...(typeof body?.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body?.access_token === 'string' ? { accessToken: body.access_token } : {}),
  }
}

/**
 * openid-client's Configuration for a profile, built from what `profile add` stored (endpoints and
 * discovery metadata), so no command pays for a discovery round trip. `endpoint` picks the client
 * authentication the token or the revocation endpoint publishes.
 */
export function clientConfig(
  profile: Profile,
  endpoint: AuthenticatedEndpoint = 'token',
): oidc.Configuration {
  const e = profile.endpoints
  const m = profile.metadata
  const server: oidc.ServerMetadata = {
    issuer: profile.issuer ?? new URL(e.token).origin,
    token_endpoint: e.token,
    authorization_endpoint: e.authorization,
    device_authorization_endpoint: e.deviceAuthorization,
    revocation_endpoint: e.revocation,
    userinfo_endpoint: e.userinfo,
    authorization_response_iss_parameter_supported: profile.issParameterSupported,
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: acceptedIdTokenAlgs(profile),
    pushed_authorization_request_endpoint: m.pushedAuthorizationRequestEndpoint,
    require_pushed_authorization_requests: m.requirePushedAuthorizationRequests,
  }
  const method = clientAuthMethod(profile, endpoint)
  const secret = profile.clientSecret?.reveal()
  const auth =
    method === 'client_secret_post'
      ? oidc.ClientSecretPost(secret)
      : method === 'client_secret_basic'
        ? oidc.ClientSecretBasic(secret)
        : oidc.None()
  const config = new oidc.Configuration(
    server,
    profile.clientId,
    { token_endpoint_auth_method: method, ...(secret ? { client_secret: secret } : {}) },
    auth,
  )
  // Plain http was already limited to loopback or to profiles that opted in with --allow-insecure-http.
  const urls = [server.issuer, ...Object.values(e), m.pushedAuthorizationRequestEndpoint].filter(
    (u): u is string => typeof u === 'string',
  )
  if (urls.some((u) => u.startsWith('http:'))) oidc.allowInsecureRequests(config)
  const encoded =
    profile.tokenRequestBody === 'form'
      ? fetch
      : jsonTokenRequests(e.token, profile.tokenRequestBody === 'json-refresh' ? 'refresh_token' : undefined)
  const send =
    profile.kind === 'codex'
      ? openaiTokenErrors(e.token, encoded)
      : profile.kind === 'copilot'
        ? errorsWithStatus200(e.token, encoded)
        : encoded
  config[oidc.customFetch] = async (url, options) => {
    const response = await send(url, options)
    if (url === e.token && response.status === 200) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => undefined)
      if (typeof body === 'object' && body !== null) issued.set(profile, body as IssuedBody)
    }
    return response
  }
  config.timeout = httpTimeoutSeconds()
  return config
}

/** OpenID Connect Core 11: offline_access is ignored unless the user is asked to consent. */
export function authorizationParams(profile: Profile): Record<string, string> {
  const scope = profile.scope
  const params: Record<string, string> = { ...profile.authorizeParams }
  if (scope) params.scope = scope
  if (scope?.split(' ').includes('offline_access')) params.prompt = 'consent'
  return params
}

export interface AuthorizationRequest {
  url: URL
  /** Stays in this process: it is what binds the returned code to us (PKCE, RFC 7636). */
  verifier: string
  state: string
  /** Sent whenever `openid` is asked for, and required back in the ID token (OpenID Connect Core 3.1.2.1). */
  nonce: string | undefined
}

/**
 * An authorization-code request with PKCE S256, a fresh state and, for OpenID Connect, a fresh nonce,
 * for the loopback, paste and hand-off flows; pushed first (RFC 9126) where the server requires it.
 */
export async function authorizationRequest(
  config: oidc.Configuration,
  profile: Profile,
  redirectUri: string,
): Promise<AuthorizationRequest> {
  assertCanAuthorize(profile)
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const params = authorizationParams(profile)
  const nonce = params.scope?.split(' ').includes('openid') ? oidc.randomNonce() : undefined
  const request = {
    ...params,
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(nonce ? { nonce } : {}),
  }
  const url = profile.metadata.requirePushedAuthorizationRequests
    ? await oidc.buildAuthorizationUrlWithPAR(config, request)
    : oidc.buildAuthorizationUrl(config, request)
  return { url, verifier, state, nonce }
}

/** What the server's metadata demands that authkeep will not do: fail before the person approves anything. */
function assertCanAuthorize(profile: Profile): void {
  const m = profile.metadata
  const next = { next: `authkeep profile show ${profile.name}` }
  // Never downgraded to `plain`, whose challenge is the verifier itself.
  if (m.codeChallengeMethods && !m.codeChallengeMethods.includes('S256'))
    throw new AuthkeepError(
      `the server of profile "${profile.name}" lists only ${m.codeChallengeMethods.join(', ') || 'no'} PKCE methods (code_challenge_methods_supported); authkeep uses S256 only`,
      next,
    )
  if (m.requireSignedRequestObject)
    throw new AuthkeepError(
      `the server of profile "${profile.name}" requires signed request objects (require_signed_request_object), which authkeep does not make`,
      next,
    )
  if (m.requirePushedAuthorizationRequests && !m.pushedAuthorizationRequestEndpoint)
    throw new AuthkeepError(
      `the server of profile "${profile.name}" requires pushed authorization requests but publishes no pushed_authorization_request_endpoint`,
      next,
    )
}

/** The checks openid-client makes on the authorization-code response, this login's values in them. */
export function codeGrantChecks(pending: { verifier: string; state: string; nonce: string | undefined }) {
  return {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    ...(pending.nonce ? { expectedNonce: pending.nonce } : {}),
  }
}
