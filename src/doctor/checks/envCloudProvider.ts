import { type Check, finding } from '../finding.js'
import { truthy } from './precedence.js'

const PROVIDERS = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY']

export const envCloudProvider: Check = {
  id: 'env.cloud_provider',
  title: 'no cloud provider switch takes Claude Code away from the subscription',
  kinds: ['claude-code'],
  async run(ctx) {
    const on = PROVIDERS.filter((v) => truthy(ctx.env[v]))
    if (on.length === 0) return []
    return [
      finding(
        'env.cloud_provider',
        'warning',
        `${on.map((v) => `${v}=${ctx.env[v]}`).join(', ')} ${on.length === 1 ? 'is' : 'are'} set`,
        "a cloud provider comes first in Claude Code's order, before ANTHROPIC_AUTH_TOKEN, ANTHROPIC_API_KEY, apiKeyHelper, CLAUDE_CODE_OAUTH_TOKEN and the subscription login: requests go to (and are billed by) that cloud, and the login authkeep keeps is unused",
        `unset ${on.join(' ')}`,
      ),
    ]
  },
}
