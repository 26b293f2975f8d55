import { type Check, finding } from '../finding.js'
import { claudeOauth, present } from './jsonFile.js'

// Claude Code's own test: `Date.now() + 300000 >= expiresAt`.
const CLAUDE_EARLY_MS = 5 * 60_000

export const accessExpired: Check = {
  id: 'access.expired',
  title: "the access token is still valid by Claude Code's 5-minute rule",
  kinds: ['claude-code'],
  async run(ctx) {
    const o = await claudeOauth(ctx.credentialFile)
    const e = o?.expiresAt
    // No refresh token, or a nonsense expiresAt, are other checks' findings.
    if (!o || !present(o.refreshToken) || typeof e !== 'number' || e <= 0) return []
    const now = ctx.now.getTime()
    if (now + CLAUDE_EARLY_MS < e) return []
    const past = now >= e
    const minutes = Math.round(Math.abs(now - e) / 60_000)
    return [
      finding(
        'access.expired',
        'warning',
        past
          ? `the access token expired ${minutes} min ago (${new Date(e).toISOString()})`
          : `the access token expires in ${minutes} min (${new Date(e).toISOString()}), which Claude Code already counts as expired`,
        'the next Claude Code process must refresh before its first request; several starting at once race on the one rotating refresh token, and a loser is logged out',
        // Inside Claude's 5 minutes but not yet past expiry authkeep may still call the token fresh.
        `authkeep refresh --profile ${ctx.profile.name}${past ? '' : ' --force'}`,
      ),
    ]
  },
}
