import type { ProfileRecord } from './profile.js'

export const COPILOT = 'copilot'

/**
 * Copilot CLI's public GitHub OAuth app (1.0.x) and the device flow it uses on headless machines
 * (RFC 8628, with GitHub's answers). GitHub's user tokens from this app neither expire on a schedule nor
 * come with a refresh token. A `copilot` entry in config.json overrides any of these (tests point them
 * at a local fake of GitHub).
 */
export const COPILOT_DEFAULTS: ProfileRecord = {
  kind: 'copilot',
  issuer: 'https://github.com',
  device_authorization_endpoint: 'https://github.com/login/device/code',
  token_endpoint: 'https://github.com/login/oauth/access_token',
  // Who the token belongs to: Copilot files its token under the host and the GitHub login.
  userinfo_endpoint: 'https://api.github.com/user',
  client_id: 'Ov23ctDVkRmgkPke0Mmm',
  // As Copilot asks, comma-separated.
  scope: 'read:user,read:org,repo,gist,codespace,write:plugin_gateway_connections',
  token_request_body: 'form',
  store: 'file',
}

/** The GitHub host Copilot files the token under: the origin of the device endpoint (or of `--host`). */
export function copilotHost(profile: {
  endpoints: { deviceAuthorization: string | undefined; token: string }
}): string {
  return new URL(profile.endpoints.deviceAuthorization ?? profile.endpoints.token).origin
}
