import type { ProfileRecord } from './profile.js'

export const CODEX = 'codex'

/** Where Codex's browser login sends the code; its port is fixed, and OpenAI accepts no other. */
export const CODEX_REDIRECT = 'http://localhost:1455/auth/callback'

/**
 * Codex CLI's public OAuth settings (0.16x–0.17x). The built-in profile starts from these; a `codex`
 * entry in config.json overrides any of them (tests point them at a local server).
 */
export const CODEX_DEFAULTS: ProfileRecord = {
  kind: 'codex',
  issuer: 'https://auth.openai.com',
  authorization_endpoint: 'https://auth.openai.com/oauth/authorize',
  token_endpoint: 'https://auth.openai.com/oauth/token',
  revocation_endpoint: 'https://auth.openai.com/oauth/revoke',
  // Not RFC 8628: OpenAI's own device login, a JSON user-code request then a polled authorization code.
  device_authorization_endpoint: 'https://auth.openai.com/api/accounts/deviceauth/usercode',
  client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
  scope: 'openid profile email offline_access api.connectors.read api.connectors.invoke',
  authorize_params: {
    id_token_add_organizations: 'true',
    codex_cli_simplified_flow: 'true',
    originator: 'codex_cli_rs',
  },
  paste_redirect_uri: CODEX_REDIRECT,
  loopback_redirect_uri: CODEX_REDIRECT,
  loopback_port: 1455,
  // Codex exchanges the code as a form and refreshes with a JSON body.
  token_request_body: 'json-refresh',
  // Codex refreshes when the access token's exp is 5 minutes away; refreshing at the same point keeps
  // the two in step.
  refresh_margin_seconds: 300,
  store: 'file',
}
