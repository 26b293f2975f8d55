import * as oidc from 'openid-client'
import type { Profile } from '../profiles/profile.js'
import { httpTimeoutSeconds } from './httpTimeout.js'
import { jsonTokenRequests } from './jsonTokenRequests.js'

/**
 * openid-client's Configuration for a profile, built from the endpoints stored at `profile add`,
 * so no command pays for a discovery round trip.
 */
export function clientConfig(profile: Profile): oidc.Configuration {
  const e = profile.endpoints
  const server: oidc.ServerMetadata = {
    issuer: profile.issuer ?? new URL(e.token).origin,
    token_endpoint: e.token,
    authorization_endpoint: e.authorization,
    device_authorization_endpoint: e.deviceAuthorization,
    revocation_endpoint: e.revocation,
    userinfo_endpoint: e.userinfo,
    authorization_response_iss_parameter_supported: profile.issParameterSupported,
    code_challenge_methods_supported: ['S256'],
  }
  const config = new oidc.Configuration(
    server,
    profile.clientId,
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
  )
  // Plain http was already limited to loopback or to profiles that opted in with --allow-insecure-http.
  const urls = [server.issuer, ...Object.values(e)].filter((u): u is string => typeof u === 'string')
  if (urls.some((u) => u.startsWith('http:'))) oidc.allowInsecureRequests(config)
  if (profile.tokenRequestBody === 'json') config[oidc.customFetch] = jsonTokenRequests(e.token)
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
}

/** An authorization-code request with PKCE S256 and a fresh state, for the loopback and paste flows. */
export async function authorizationRequest(
  config: oidc.Configuration,
  profile: Profile,
  redirectUri: string,
): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    ...authorizationParams(profile),
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  })
  return { url, verifier, state }
}
