import { mask } from '../../secret.js'
import { type Check, finding } from '../finding.js'

export const envAnthropicApiKey: Check = {
  id: 'env.anthropic_api_key',
  title: 'ANTHROPIC_API_KEY does not shadow the subscription login',
  kinds: ['claude-code'],
  async run(ctx) {
    const key = ctx.env.ANTHROPIC_API_KEY
    if (!key) return []
    return [
      finding(
        'env.anthropic_api_key',
        'error',
        `ANTHROPIC_API_KEY is set (${mask(key)})`,
        'an API key outranks the subscription login: Claude Code sends it as x-api-key and never uses the OAuth token (billing goes to the API account)',
        'unset ANTHROPIC_API_KEY',
      ),
    ]
  },
}
