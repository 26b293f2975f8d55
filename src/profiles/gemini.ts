import type { Profile, ProfileRecord } from './profile.js'

export const GEMINI = 'gemini'

const CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com'
/**
 * Gemini CLI's "installed app" secret. Google documents such secrets as not secret: it ships in the CLI's
 * bundle, and Google's token endpoint wants it with every code exchange and refresh.
 */
const PUBLIC_CLIENT_SECRET = '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'

/**
 * Gemini CLI's public OAuth settings, as its bundle (0.61.x) uses them. Its paste flow sends the browser to
 * Google's code-assist page, which shows the code to copy back. A `gemini` entry in config.json overrides
 * any of them (tests point them at a local server).
 */
export const GEMINI_DEFAULTS: ProfileRecord = {
  kind: 'gemini',
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
  revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
  client_id: CLIENT_ID,
  scope: [
    'https://www.googleapis.com/auth/cloud-platform',
    'https://www.googleapis.com/auth/userinfo.email',
    'https://www.googleapis.com/auth/userinfo.profile',
  ].join(' '),
  paste_redirect_uri: 'https://codeassist.google.com/authcode',
  // Without them Google issues no refresh token (consent: not even on a second login).
  authorize_params: { access_type: 'offline', prompt: 'consent' },
  token_endpoint_auth_methods_supported: ['client_secret_post'],
  token_request_body: 'form',
  // google-auth-library refreshes 5 minutes before expiry_date; refreshing at the same point keeps step.
  refresh_margin_seconds: 300,
  store: 'file',
}

/** The bundled secret belongs to Gemini's own client id only: a profile pointed elsewhere brings its own. */
export function publicClientSecret(profile: Profile): string | undefined {
  return profile.kind === 'gemini' && profile.clientId === CLIENT_ID ? PUBLIC_CLIENT_SECRET : undefined
}
