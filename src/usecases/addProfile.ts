import * as oidc from 'openid-client'
import { AuthkeepError, UsageError } from '../errors.js'
import { toAuthkeepError } from '../oauth/protocolErrors.js'
import { type ProfileRecord, profileSchema, urlProblem } from '../profiles/profile.js'

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
    discovered = await discover(input.name, input.issuer, input.clientId, input.allowInsecureHttp)
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
  })
  const parsed = profileSchema.safeParse(record)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const flag = `--${String(issue?.path[0] ?? '').replace(/_/g, '-')}`
    throw new UsageError(`${flag}: ${issue?.message}`, `authkeep profile add ${input.name} --help`)
  }
  return parsed.data
}

async function discover(name: string, issuer: string, clientId: string, allowInsecureHttp: boolean) {
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
  return {
    issuer: m.issuer,
    authorization_endpoint: m.authorization_endpoint,
    token_endpoint: m.token_endpoint,
    device_authorization_endpoint: m.device_authorization_endpoint,
    revocation_endpoint: m.revocation_endpoint,
    userinfo_endpoint: m.userinfo_endpoint,
    authorization_response_iss_parameter_supported: m.authorization_response_iss_parameter_supported,
  }
}
