import * as z from 'zod/mini'
import type { Secret } from '../secret.js'

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export type StorePreference = 'auto' | 'file' | 'keyring'

/** A profile as the rest of the code sees it; the on-disk names (RFC 8414 / RFC 6749) stay in the schema below. */
export interface Profile {
  name: string
  issuer: string | undefined
  endpoints: {
    authorization: string | undefined
    token: string
    deviceAuthorization: string | undefined
    revocation: string | undefined
    userinfo: string | undefined
  }
  issParameterSupported: boolean
  /** What discovery said that changes how authkeep talks to this server; undefined = not published. */
  metadata: ServerMetadata
  clientId: string
  /**
   * Only ever set by resolveClientSecret, from the client-secret store; config.json holds no secret.
   * With it the client authenticates at the token and revocation endpoints.
   */
  clientSecret?: Secret | undefined
  /** A fixed loopback port, for servers that match redirect URIs exactly (no RFC 8252 any-port). */
  loopbackPort: number | undefined
  scope: string | undefined
  allowInsecureHttp: boolean
  store: StorePreference
  refreshMarginSeconds: number
  pasteRedirectUri: string | undefined
  /** Where the credential lives: authkeep's own record, or a client's file (Claude Code's, Gemini's, Copilot's). */
  kind: ProfileKind
  /** Claude's token endpoint takes JSON instead of the form body of RFC 6749; Codex's only for refresh. */
  tokenRequestBody: 'form' | 'json' | 'json-refresh'
  /** Sent with every refresh, for servers that require `scope` there (Claude's does). */
  refreshScope: string | undefined
  /** Extra authorization request parameters, e.g. Claude's `code=true` for its paste page. */
  authorizeParams: Record<string, string>
  /** claude-code only: overrides $CLAUDE_CONFIG_DIR / ~/.claude. */
  claudeConfigDir: string | undefined
  /** claude-code only: the scope `login --long-lived` asks for. */
  longLivedScope: string | undefined
  /** codex only: overrides $CODEX_HOME / ~/.codex. */
  codexHome: string | undefined
  /** The exact redirect URI a loopback login listens for (Codex's http://localhost:1455/auth/callback). */
  loopbackRedirectUri: string | undefined
  /** A fleet host's profile (`fleet init --profile`): its access token comes from the fleet (src/fleet). */
  fleet?: true
}

export type ProfileKind = 'oauth' | 'claude-code' | 'codex' | 'gemini' | 'copilot'

export interface ServerMetadata {
  idTokenSigningAlgs: string[] | undefined
  tokenEndpointAuthMethods: string[] | undefined
  revocationEndpointAuthMethods: string[] | undefined
  codeChallengeMethods: string[] | undefined
  grantTypes: string[] | undefined
  pushedAuthorizationRequestEndpoint: string | undefined
  requirePushedAuthorizationRequests: boolean
  requireSignedRequestObject: boolean
  /** When discovery last filled these in; a profile without it is read again at its next login. */
  discoveredAt: string | undefined
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost'
}

/** http:// is allowed only to this machine, unless the profile opts in loudly. */
export function urlProblem(value: string, allowInsecureHttp: boolean): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an absolute URL'
  }
  // Said without the URL: what sits before the @ is a password, and messages are not the place for it.
  if (url.username || url.password) return 'must not hold a user name or password (user:pass@); remove them'
  if (url.protocol === 'https:') return undefined
  if (url.protocol !== 'http:') return 'must be an https:// URL'
  if (isLoopbackHost(url.hostname) || allowInsecureHttp) return undefined
  return 'uses plain http:// to another machine; use https:// or add --allow-insecure-http'
}

const urlField = z.string()
const endpointFields = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
  'paste_redirect_uri',
  'pushed_authorization_request_endpoint',
  'loopback_redirect_uri',
] as const

const names = z.optional(z.array(z.string()))

/**
 * The discovery metadata (RFC 8414 / OpenID Discovery names) that changes behaviour, kept at `profile
 * add` and at the next login of a profile added before authkeep kept it.
 */
export const metadataFields = {
  id_token_signing_alg_values_supported: names,
  token_endpoint_auth_methods_supported: names,
  revocation_endpoint_auth_methods_supported: names,
  code_challenge_methods_supported: names,
  grant_types_supported: names,
  pushed_authorization_request_endpoint: z.optional(urlField),
  require_pushed_authorization_requests: z.optional(z.boolean()),
  require_signed_request_object: z.optional(z.boolean()),
  metadata_discovered_at: z.optional(z.string()),
}

// zod/mini: the same validation as classic zod at a fraction of the start-up cost of `authkeep token`.
export const profileSchema = z
  .looseObject({
    issuer: z.optional(urlField),
    authorization_endpoint: z.optional(urlField),
    token_endpoint: urlField,
    device_authorization_endpoint: z.optional(urlField),
    revocation_endpoint: z.optional(urlField),
    userinfo_endpoint: z.optional(urlField),
    authorization_response_iss_parameter_supported: z.optional(z.boolean()),
    client_id: z.string().check(z.minLength(1)),
    scope: z.optional(z.string()),
    allow_insecure_http: z.optional(z.boolean()),
    store: z.optional(z.enum(['auto', 'file', 'keyring'])),
    refresh_margin_seconds: z.optional(z.number().check(z.int(), z.gte(0), z.lte(86_400))),
    paste_redirect_uri: z.optional(urlField),
    kind: z.optional(z.enum(['oauth', 'claude-code', 'codex', 'gemini', 'copilot'])),
    token_request_body: z.optional(z.enum(['form', 'json', 'json-refresh'])),
    refresh_scope: z.optional(z.string()),
    authorize_params: z.optional(z.record(z.string(), z.string())),
    claude_config_dir: z.optional(z.string().check(z.minLength(1))),
    long_lived_scope: z.optional(z.string()),
    loopback_port: z.optional(z.number().check(z.int(), z.gte(1), z.lte(65_535))),
    codex_home: z.optional(z.string().check(z.minLength(1))),
    loopback_redirect_uri: z.optional(urlField),
    ...metadataFields,
  })
  .check(
    z.superRefine((p, ctx) => {
      for (const field of endpointFields) {
        const value = p[field]
        const problem = value === undefined ? undefined : urlProblem(value, p.allow_insecure_http === true)
        if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem })
      }
    }),
  )

export type ProfileRecord = z.output<typeof profileSchema>

export function toProfile(name: string, p: ProfileRecord): Profile {
  return {
    name,
    issuer: p.issuer,
    endpoints: {
      authorization: p.authorization_endpoint,
      token: p.token_endpoint,
      deviceAuthorization: p.device_authorization_endpoint,
      revocation: p.revocation_endpoint,
      userinfo: p.userinfo_endpoint,
    },
    issParameterSupported: p.authorization_response_iss_parameter_supported === true,
    metadata: {
      idTokenSigningAlgs: p.id_token_signing_alg_values_supported,
      tokenEndpointAuthMethods: p.token_endpoint_auth_methods_supported,
      revocationEndpointAuthMethods: p.revocation_endpoint_auth_methods_supported,
      codeChallengeMethods: p.code_challenge_methods_supported,
      grantTypes: p.grant_types_supported,
      pushedAuthorizationRequestEndpoint: p.pushed_authorization_request_endpoint,
      requirePushedAuthorizationRequests: p.require_pushed_authorization_requests === true,
      requireSignedRequestObject: p.require_signed_request_object === true,
      discoveredAt: p.metadata_discovered_at,
    },
    clientId: p.client_id,
    loopbackPort: p.loopback_port,
    scope: p.scope,
    allowInsecureHttp: p.allow_insecure_http === true,
    store: p.store ?? 'auto',
    refreshMarginSeconds: p.refresh_margin_seconds ?? 60,
    pasteRedirectUri: p.paste_redirect_uri,
    kind: p.kind ?? 'oauth',
    tokenRequestBody: p.token_request_body ?? 'form',
    refreshScope: p.refresh_scope,
    authorizeParams: p.authorize_params ?? {},
    claudeConfigDir: p.claude_config_dir,
    longLivedScope: p.long_lived_scope,
    codexHome: p.codex_home,
    loopbackRedirectUri: p.loopback_redirect_uri,
  }
}
