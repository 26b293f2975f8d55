// What Claude Code's OAuth hosts answer, shaped like the production replies the CLI parses:
// platform.claude.com issues tokens, api.anthropic.com describes the account.
import { randomBytes } from 'node:crypto'

export const TOKEN_HOST = 'platform.claude.com'
export const ACCOUNT_HOST = 'api.anthropic.com'
export const MITM_HOSTS = [TOKEN_HOST, ACCOUNT_HOST]

export const CLAUDE_AI_SCOPES = [
  'user:profile',
  'user:inference',
  'user:sessions:claude_code',
  'user:mcp_servers',
  'user:file_upload',
]

// Eight hours, as production access tokens last.
export const ISSUED_EXPIRES_IN_S = 28_800

export function randomSecret(prefix: 'sk-ant-oat01' | 'sk-ant-ort01' | 'sk-ant-api03'): string {
  return `${prefix}-${randomBytes(24).toString('base64url')}`
}

export interface IssuedTokens {
  access_token: string
  refresh_token: string
  expires_in: number
  scope: string
  token_type: 'Bearer'
}

export function issueTokens(requestedScope: unknown): IssuedTokens {
  return {
    access_token: randomSecret('sk-ant-oat01'),
    refresh_token: randomSecret('sk-ant-ort01'),
    expires_in: ISSUED_EXPIRES_IN_S,
    scope: typeof requestedScope === 'string' && requestedScope ? requestedScope : CLAUDE_AI_SCOPES.join(' '),
    token_type: 'Bearer',
  }
}

export const INVALID_GRANT = {
  error: 'invalid_grant',
  error_description: 'Invalid refresh token',
}

// organization_type maps to subscriptionType ("claude_pro" -> "pro"); Claude stores rate_limit_tier.
export const PROFILE = {
  account: {
    uuid: '00000000-0000-4000-8000-000000000001',
    email: 'fake@example.invalid',
    display_name: 'Fake User',
    full_name: 'Fake User',
    has_claude_pro: true,
    has_claude_max: false,
  },
  organization: {
    uuid: '00000000-0000-4000-8000-000000000002',
    name: 'Fake Org',
    organization_type: 'claude_pro',
    billing_type: 'stripe_subscription',
    rate_limit_tier: 'default_claude_ai',
  },
}

export const ROLES = { organization_role: 'admin', workspace_role: null, organization_name: 'Fake Org' }
