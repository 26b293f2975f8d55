// How Claude Code picks its credential, as observed against its binary (2.1.197, `-p` mode).
export const BEARER_ORDER =
  'for the Authorization header Claude Code takes ANTHROPIC_AUTH_TOKEN, then apiKeyHelper, then CLAUDE_CODE_OAUTH_TOKEN, then .credentials.json'
export const ANY_API_KEY = 'any API key (ANTHROPIC_API_KEY or an apiKeyHelper) switches the OAuth login off'

/** Claude's reading of a boolean variable: set to something that means yes. */
export const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim())
