import type { Profile } from '../../profiles/profile.js'
import { mask } from '../../secret.js'
import { type Check, finding, type Severity } from '../finding.js'
import { BEARER_ORDER } from './precedence.js'
import { maskUrl } from './urls.js'

/** A variable that, when set, makes the client use something other than the login authkeep keeps. */
export function envOverride(o: {
  variable: string
  /** Default: env.<variable in lower case>. */
  id?: string
  /** Default: claude-code. */
  kinds?: Profile['kind'][]
  severity: Severity
  title: string
  why: string
  /** What else in the environment belongs in the finding. */
  alongside?: (env: NodeJS.ProcessEnv) => string
  /** Where the finding says the variable is set, e.g. "this shell". */
  setIn?: string
}): Check {
  const id = o.id ?? `env.${o.variable.toLowerCase()}`
  return {
    id,
    title: o.title,
    kinds: o.kinds ?? ['claude-code'],
    async run(ctx) {
      const value = ctx.env[o.variable]
      if (!value) return []
      const found = `${o.variable} is set${o.setIn ? ` in ${o.setIn}` : ''} (${mask(value)})${o.alongside?.(ctx.env) ?? ''}`
      return [finding(id, o.severity, found, o.why, `unset ${o.variable}`)]
    },
  }
}

export const envAnthropicApiKey = envOverride({
  variable: 'ANTHROPIC_API_KEY',
  severity: 'error',
  title: 'ANTHROPIC_API_KEY does not shadow the subscription login',
  why: 'an API key outranks the subscription login: Claude Code sends it as x-api-key and never uses the OAuth token (billing goes to the API account)',
})

export const envAnthropicAuthToken = envOverride({
  variable: 'ANTHROPIC_AUTH_TOKEN',
  severity: 'error',
  title: 'ANTHROPIC_AUTH_TOKEN does not shadow the subscription login',
  why: `it outranks every login: ${BEARER_ORDER}, so Claude Code sends this token as Bearer and never uses the OAuth login (it is meant for gateways)`,
  alongside: (env) =>
    env.ANTHROPIC_BASE_URL ? `, with ANTHROPIC_BASE_URL=${maskUrl(env.ANTHROPIC_BASE_URL)}` : '',
})

export const envClaudeCodeOauthToken = envOverride({
  variable: 'CLAUDE_CODE_OAUTH_TOKEN',
  severity: 'warning',
  title: 'CLAUDE_CODE_OAUTH_TOKEN does not hide the credential file',
  why: `it outranks the credential file (${BEARER_ORDER}), and Claude Code never refreshes it: when it expires or is revoked every request fails with 401 while the file's login, which authkeep keeps fresh, goes unused`,
})
