import { mask } from '../../secret.js'
import { type Check, finding } from '../finding.js'
import { BEARER_ORDER } from './precedence.js'

export const envClaudeCodeOauthToken: Check = {
  id: 'env.claude_code_oauth_token',
  title: 'CLAUDE_CODE_OAUTH_TOKEN does not hide the credential file',
  kinds: ['claude-code'],
  async run(ctx) {
    const token = ctx.env.CLAUDE_CODE_OAUTH_TOKEN
    if (!token) return []
    return [
      finding(
        'env.claude_code_oauth_token',
        'warning',
        `CLAUDE_CODE_OAUTH_TOKEN is set (${mask(token)})`,
        `it outranks the credential file (${BEARER_ORDER}), and Claude Code never refreshes it: when it expires or is revoked every request fails with 401 while the file's login, which authkeep keeps fresh, goes unused`,
        'unset CLAUDE_CODE_OAUTH_TOKEN',
      ),
    ]
  },
}
