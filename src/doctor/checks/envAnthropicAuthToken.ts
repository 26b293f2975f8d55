import { mask } from '../../secret.js'
import { type Check, finding } from '../finding.js'
import { BEARER_ORDER } from './precedence.js'
import { maskUrl } from './urls.js'

export const envAnthropicAuthToken: Check = {
  id: 'env.anthropic_auth_token',
  title: 'ANTHROPIC_AUTH_TOKEN does not shadow the subscription login',
  kinds: ['claude-code'],
  async run(ctx) {
    const token = ctx.env.ANTHROPIC_AUTH_TOKEN
    if (!token) return []
    const base = ctx.env.ANTHROPIC_BASE_URL
    return [
      finding(
        'env.anthropic_auth_token',
        'error',
        `ANTHROPIC_AUTH_TOKEN is set (${mask(token)})${base ? `, with ANTHROPIC_BASE_URL=${maskUrl(base)}` : ''}`,
        `it outranks every login: ${BEARER_ORDER}, so Claude Code sends this token as Bearer and never uses the OAuth login (it is meant for gateways)`,
        'unset ANTHROPIC_AUTH_TOKEN',
      ),
    ]
  },
}
