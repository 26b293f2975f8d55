import { join } from 'node:path'
import type { Deps } from '../deps.js'
import { readFileIfExists } from '../files/atomicFile.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { claudeConfigDir } from '../stores/claudeCodeStore.js'
import { getToken } from './getToken.js'

/** Claude Code's credential variables, and the ones that outrank each (observed precedence). */
const CLOUD = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY']
const OUTRANKS: Record<string, string[]> = {
  ANTHROPIC_API_KEY: ['ANTHROPIC_AUTH_TOKEN', ...CLOUD, 'CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR'],
  CLAUDE_CODE_OAUTH_TOKEN: [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    ...CLOUD,
    'CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR',
    'CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR',
  ],
}

/** Codex: an API key in the environment outranks the ChatGPT login in auth.json (`codex exec`). */
const CODEX_KEYS = ['CODEX_API_KEY', 'OPENAI_API_KEY']

export interface ExecPlan {
  env: NodeJS.ProcessEnv
  variable: string
  /** The value put into `variable`; for masking only. */
  secret: string
  cleared: string[]
  warnings: string[]
}

/**
 * Which secret a command gets and in which variable: a stored key first, else the OAuth access token,
 * refreshed first under the lock. For Claude Code, the variables that would outrank it are removed.
 */
export async function planExec(
  deps: Deps,
  profile: Profile,
  variableOverride: string | undefined,
): Promise<ExecPlan> {
  const claude = profile.kind === 'claude-code'
  const codex = profile.kind === 'codex'
  const key = await deps.keys.get(profile.name)
  const warnings: string[] = []
  let secret: string
  let variable: string
  if (key) {
    secret = key.value
    variable = claude
      ? key.kind === 'api_key'
        ? 'ANTHROPIC_API_KEY'
        : 'CLAUDE_CODE_OAUTH_TOKEN'
      : codex
        ? 'CODEX_API_KEY'
        : 'AUTHKEEP_ACCESS_TOKEN'
    if (key.expiresAt && key.expiresAt <= deps.clock.now()) {
      warnings.push(`the stored key of profile "${profile.name}" expired at ${key.expiresAt.toISOString()}`)
    }
  } else {
    const { credential } = await getToken(deps, profile)
    secret = credential.accessToken?.reveal() ?? ''
    variable = claude ? 'CLAUDE_CODE_OAUTH_TOKEN' : 'AUTHKEEP_ACCESS_TOKEN'
  }
  variable = variableOverride ?? variable
  const env: NodeJS.ProcessEnv = { ...deps.processEnv }
  // Codex reads its login from auth.json, just refreshed above; a key variable would outrank it there.
  const outranking = claude ? (OUTRANKS[variable] ?? []) : codex && !key ? CODEX_KEYS : []
  const cleared = outranking.filter((v) => env[v] !== undefined)
  for (const v of cleared) delete env[v]
  env[variable] = secret
  if (claude) {
    const helper = await apiKeyHelper(claudeConfigDir(profile, deps.processEnv, deps.home))
    if (helper && !helper.includes('authkeep')) {
      warnings.push(
        `apiKeyHelper in Claude's settings.json ("${printable(helper, 200)}") outranks ${variable}`,
      )
    }
  }
  return { env, variable, secret, cleared, warnings }
}

async function apiKeyHelper(configDir: string): Promise<string | undefined> {
  try {
    const settings = JSON.parse((await readFileIfExists(join(configDir, 'settings.json'))) ?? '{}') as {
      apiKeyHelper?: unknown
    }
    return typeof settings.apiKeyHelper === 'string' ? settings.apiKeyHelper : undefined
  } catch {
    return undefined
  }
}
