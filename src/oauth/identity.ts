import type { TokenEndpointResponse } from 'openid-client'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'

/** Who an account is, as far as the provider says: shown by `account list`, never a secret. */
export interface AccountIdentity {
  email?: string
  organization?: string
  subscription?: string
  subject?: string
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? printable(v, 200) : undefined)
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {})

/**
 * Reads the fields providers use for who signed in, from one JSON answer: OpenID Connect claims
 * (`email`, `sub`), and the account/organization objects Anthropic's token answer and profile endpoint
 * carry (`account.email_address`, `organization.name`, `organization.organization_type`).
 */
export function identityIn(answer: unknown): AccountIdentity {
  const a = obj(answer)
  const account = obj(a.account)
  const org = obj(a.organization)
  // OpenAI's ID tokens keep the plan under a namespaced claim.
  const openai = obj(a['https://api.openai.com/auth'])
  const found: AccountIdentity = {
    email: text(a.email) ?? text(account.email_address) ?? text(account.email),
    organization: text(org.name) ?? text(a.organization_name) ?? text(a.org),
    subscription:
      text(org.organization_type) ??
      text(a.subscription_type) ??
      text(openai.chatgpt_plan_type) ??
      text(a.plan),
    subject: text(a.sub) ?? text(account.uuid),
  }
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined))
}

/**
 * The identity of a fresh login: what the token answer (and its ID token) tells, completed by the
 * profile's userinfo endpoint when it has one. A failing endpoint costs only the identity, not the login.
 */
export async function identityOf(profile: Profile, tokens: TokenEndpointResponse): Promise<AccountIdentity> {
  const claims = (tokens as { claims?: () => unknown }).claims?.() ?? jwtPayload(tokens.id_token)
  let found = { ...identityIn(claims), ...identityIn(tokens) }
  const endpoint = profile.endpoints.userinfo
  if (endpoint) {
    const answer = await fetch(endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    })
      .then((r) => (r.ok ? r.json() : undefined))
      .catch(() => undefined)
    found = { ...identityIn(answer), ...found }
  }
  return found
}

/**
 * The claims of an ID token a flow did not hand over parsed (OpenAI's device login): read for display
 * only, never trusted for anything else.
 */
function jwtPayload(jwt: string | undefined): unknown {
  const part = jwt?.split('.')[1]
  if (!part) return undefined
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}
