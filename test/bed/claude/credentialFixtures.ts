// Credential files in the shape Claude Code 2.1.197 reads (`claudeAiOauth`, expiresAt in ms), with
// fresh random secrets each time so a recorded header can only have come from this file.
import { CLAUDE_AI_SCOPES, randomSecret } from './oauthReplies.js'

export interface OauthCredentials {
  accessToken: string
  refreshToken: string
  expiresAt: number
  json: { claudeAiOauth: Record<string, unknown> }
}

// Claude treats a token as expired 5 minutes early (Date.now() + 300000 >= expiresAt).
export const EXPIRY_MARGIN_MS = 300_000

export function oauthCredentials(expiresInMs = 3_600_000): OauthCredentials {
  const accessToken = randomSecret('sk-ant-oat01')
  const refreshToken = randomSecret('sk-ant-ort01')
  const expiresAt = Date.now() + expiresInMs
  return {
    accessToken,
    refreshToken,
    expiresAt,
    json: {
      claudeAiOauth: {
        accessToken,
        refreshToken,
        expiresAt,
        scopes: CLAUDE_AI_SCOPES,
        subscriptionType: 'pro',
      },
    },
  }
}
