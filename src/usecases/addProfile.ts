import * as oidc from 'openid-client'
import type { Deps } from '../deps.js'
import { AuthkeepError, UsageError } from '../errors.js'
import { toAuthkeepError } from '../oauth/protocolErrors.js'
import { loadConfig, putProfile } from '../profiles/configFile.js'
import {
  type Profile,
  type ProfileRecord,
  profileSchema,
  toProfile,
  urlProblem,
} from '../profiles/profile.js'

export interface AddProfileInput {
  name: string
  issuer: string | undefined
  authorizationEndpoint: string | undefined
  tokenEndpoint: string | undefined
  deviceAuthorizationEndpoint: string | undefined
  revocationEndpoint: string | undefined
  clientId: string
  scope: string | undefined
  allowInsecureHttp: boolean
  store: ProfileRecord['store']
  refreshMarginSeconds: number | undefined
  pasteRedirectUri: string | undefined
  loopbackPort: number | undefined
  now: Date
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/**
 * Builds the stored profile. With only --issuer, the endpoints come from discovery (RFC 8414 / OpenID
 * Discovery) once, now, so that later commands need no discovery round trip.
 */
export async function buildProfile(input: AddProfileInput): Promise<ProfileRecord> {
  const explicit = defined({
    authorization_endpoint: input.authorizationEndpoint,
    token_endpoint: input.tokenEndpoint,
    device_authorization_endpoint: input.deviceAuthorizationEndpoint,
    revocation_endpoint: input.revocationEndpoint,
  })
  let discovered: Partial<ProfileRecord> = {}
  if (!input.tokenEndpoint) {
    if (!input.issuer)
      throw new UsageError(
        'give --issuer URL, or the endpoints with --token-endpoint URL and others',
        `authkeep profile add ${input.name} --issuer URL --client-id ${input.clientId}`,
      )
    const m = await discover(input.name, input.issuer, input.clientId, input.allowInsecureHttp)
    discovered = {
      issuer: m.issuer,
      authorization_endpoint: m.authorization_endpoint,
      token_endpoint: m.token_endpoint,
      device_authorization_endpoint: m.device_authorization_endpoint,
      revocation_endpoint: m.revocation_endpoint,
      userinfo_endpoint: m.userinfo_endpoint,
      authorization_response_iss_parameter_supported: m.authorization_response_iss_parameter_supported,
      ...behaviourMetadata(m, input.now),
    }
  }
  const record = defined({
    issuer: input.issuer,
    ...discovered,
    ...explicit,
    client_id: input.clientId,
    scope: input.scope,
    allow_insecure_http: input.allowInsecureHttp || undefined,
    store: input.store,
    refresh_margin_seconds: input.refreshMarginSeconds,
    paste_redirect_uri: input.pasteRedirectUri,
    loopback_port: input.loopbackPort,
  })
  const parsed = profileSchema.safeParse(record)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const flag = `--${String(issue?.path[0] ?? '').replace(/_/g, '-')}`
    throw new UsageError(`${flag}: ${issue?.message}`, `authkeep profile add ${input.name} --help`)
  }
  return parsed.data
}

async function discover(
  name: string,
  issuer: string,
  clientId: string,
  allowInsecureHttp: boolean,
): Promise<oidc.ServerMetadata> {
  const problem = urlProblem(issuer, allowInsecureHttp)
  if (problem)
    throw new UsageError(
      `--issuer ${problem}`,
      `authkeep profile add ${name} --issuer https://… --client-id ${clientId}`,
    )
  let config: oidc.Configuration
  try {
    config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), {
      execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      timeout: 15,
    })
  } catch (err) {
    const mapped = toAuthkeepError(err, {
      profile: name,
      action: `read the discovery document of ${issuer}`,
      next: `authkeep profile add ${name} --issuer ${issuer} --client-id ${clientId}`,
    })
    if (mapped instanceof AuthkeepError) throw mapped
    throw new AuthkeepError(`could not read the discovery document of ${issuer}: ${(err as Error).message}`, {
      next: `authkeep profile add ${name} --token-endpoint URL --authorization-endpoint URL --client-id ${clientId}`,
    })
  }
  const m = config.serverMetadata()
  if (!m.token_endpoint) {
    throw new AuthkeepError(`${issuer} publishes no token_endpoint`, {
      next: `authkeep profile add ${name} --token-endpoint URL --client-id ${clientId}`,
    })
  }
  return m
}

const names = (v: unknown) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined
const flag = (v: unknown) => (v === true ? true : undefined)

/** The part of a discovery document that changes how authkeep talks to the server, in the spec's names. */
function behaviourMetadata(m: oidc.ServerMetadata, now: Date) {
  return defined({
    id_token_signing_alg_values_supported: names(m.id_token_signing_alg_values_supported),
    token_endpoint_auth_methods_supported: names(m.token_endpoint_auth_methods_supported),
    revocation_endpoint_auth_methods_supported: names(m.revocation_endpoint_auth_methods_supported),
    code_challenge_methods_supported: names(m.code_challenge_methods_supported),
    grant_types_supported: names(m.grant_types_supported),
    pushed_authorization_request_endpoint:
      typeof m.pushed_authorization_request_endpoint === 'string'
        ? m.pushed_authorization_request_endpoint
        : undefined,
    require_pushed_authorization_requests: flag(m.require_pushed_authorization_requests),
    require_signed_request_object: flag(m.require_signed_request_object),
    metadata_discovered_at: now.toISOString(),
  }) as Partial<ProfileRecord>
}

/**
 * A profile added before authkeep kept the discovery metadata gets it at its next login, once: read
 * from its issuer, saved into config.json beside what the person configured, which stays as it was.
 * A server that publishes no discovery document keeps the defaults (any asymmetric ID token algorithm,
 * no client authentication but with a secret), and the login goes on.
 */
export async function discoverMissingMetadata(deps: Deps, profile: Profile): Promise<Profile> {
  if (profile.kind !== 'oauth' || !profile.issuer || profile.metadata.discoveredAt) return profile
  const config = await loadConfig(deps.paths)
  const stored = config.raw.profiles[profile.name]
  if (!stored) return profile
  let found: oidc.ServerMetadata
  try {
    found = await discover(profile.name, profile.issuer, profile.clientId, profile.allowInsecureHttp)
  } catch (err) {
    deps.io.err(
      `! Could not read the discovery metadata of ${profile.issuer} (${(err as Error).message}); signing in with the stored settings.\n`,
    )
    return profile
  }
  const record = { ...stored, ...behaviourMetadata(found, deps.clock.now()) }
  await putProfile(config, profile.name, record)
  deps.io.err(
    `Read the discovery metadata of ${profile.issuer} for profile "${profile.name}" (ID token algorithms, client authentication, grant types); kept in ${config.file}.\n`,
  )
  return { ...toProfile(profile.name, record), clientSecret: profile.clientSecret }
}
