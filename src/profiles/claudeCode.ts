import type { ProfileRecord } from './profile.js'

export const CLAUDE_CODE = 'claude-code'

/** The scope and lifetime `claude setup-token` asks for: an inference-only token good for a year. */
export const LONG_LIVED = { scope: 'user:inference', expiresIn: 31_536_000 }

const SCOPES = 'user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload'

/**
 * Claude Code's public OAuth settings, as its binary (2.1.x) uses them. The built-in profile starts from
 * these; a `claude-code` entry in config.json overrides any of them (tests point them at a local server).
 */
export const CLAUDE_CODE_DEFAULTS: ProfileRecord = {
  kind: 'claude-code',
  authorization_endpoint: 'https://claude.com/cai/oauth/authorize',
  token_endpoint: 'https://platform.claude.com/v1/oauth/token',
  client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
  scope: SCOPES,
  // Claude sends the full default list on every refresh, whatever was stored.
  refresh_scope: SCOPES,
  // The page that shows `code#state` for pasting back: Claude's own headless path.
  paste_redirect_uri: 'https://platform.claude.com/oauth/code/callback',
  authorize_params: { code: 'true' },
  token_request_body: 'json',
  // Claude treats a token as expired 5 minutes early; refreshing at the same point keeps the two in step.
  refresh_margin_seconds: 300,
  long_lived_scope: LONG_LIVED.scope,
  store: 'file',
}
