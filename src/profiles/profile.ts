import { z } from 'zod'

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
  clientId: string
  scope: string | undefined
  allowInsecureHttp: boolean
  store: StorePreference
  refreshMarginSeconds: number
  pasteRedirectUri: string | undefined
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
] as const

export const profileSchema = z
  .looseObject({
    issuer: urlField.optional(),
    authorization_endpoint: urlField.optional(),
    token_endpoint: urlField,
    device_authorization_endpoint: urlField.optional(),
    revocation_endpoint: urlField.optional(),
    userinfo_endpoint: urlField.optional(),
    authorization_response_iss_parameter_supported: z.boolean().optional(),
    client_id: z.string().min(1),
    scope: z.string().optional(),
    allow_insecure_http: z.boolean().optional(),
    store: z.enum(['auto', 'file', 'keyring']).optional(),
    refresh_margin_seconds: z.number().int().min(0).max(86_400).optional(),
    paste_redirect_uri: urlField.optional(),
  })
  .superRefine((p, ctx) => {
    for (const field of endpointFields) {
      const value = p[field]
      const problem = value === undefined ? undefined : urlProblem(value, p.allow_insecure_http === true)
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem })
    }
  })

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
    clientId: p.client_id,
    scope: p.scope,
    allowInsecureHttp: p.allow_insecure_http === true,
    store: p.store ?? 'auto',
    refreshMarginSeconds: p.refresh_margin_seconds ?? 60,
    pasteRedirectUri: p.paste_redirect_uri,
  }
}
