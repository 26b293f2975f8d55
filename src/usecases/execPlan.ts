import { join } from 'node:path'
import type { Deps } from '../deps.js'
import { readFileIfExists } from '../files/atomicFile.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { claudeConfigDir } from '../stores/claudeCodeStore.js'
import { selectedAuthType } from '../stores/geminiStore.js'
import { usable } from '../stores/usable.js'
import { codexLoginFromAgent } from './codexRelay.js'
import { getToken } from './getToken.js'

/** Claude Code's credential variables, and the ones that outrank each (observed precedence). */
const CLOUD = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY']
/** Gemini's environment-derived login, in the order it checks (GOOGLE_GENAI_USE_GCA first). */
const GEMINI_ENV = ['GOOGLE_GENAI_USE_GCA', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GEMINI_BASE_URL']
const OUTRANKS: Record<string, string[]> = {
  GEMINI_API_KEY: GEMINI_ENV,
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
  /** Where the secret went; none when Codex reads its own auth.json and refreshes through `relay`. */
  variable: string | undefined
  /** The value put into `variable`; for masking only. */
  secret: string | undefined
  cleared: string[]
  warnings: string[]
  /** Codex's refreshes are to be answered by authkeep (CODEX_REFRESH_TOKEN_URL_OVERRIDE). */
  relay: boolean
}

/** Where each client reads a key or a token from the environment, and what must be set beside it. */
interface ClientVariables {
  apiKey: string
  /** Where a stored token (not an API key) goes. */
  keyToken: string
  /** Where the login's access token goes. */
  token: string
  /** Set with the token: Gemini takes GOOGLE_CLOUD_ACCESS_TOKEN only in its "Google login" mode. */
  withToken: Record<string, string>
}
const VARIABLES: Record<Profile['kind'], ClientVariables> = {
  oauth: {
    apiKey: 'AUTHKEEP_ACCESS_TOKEN',
    keyToken: 'AUTHKEEP_ACCESS_TOKEN',
    token: 'AUTHKEEP_ACCESS_TOKEN',
    withToken: {},
  },
  'claude-code': {
    apiKey: 'ANTHROPIC_API_KEY',
    keyToken: 'CLAUDE_CODE_OAUTH_TOKEN',
    token: 'CLAUDE_CODE_OAUTH_TOKEN',
    withToken: {},
  },
  // Codex reads its login from auth.json (refreshed by getToken); a stored key is its API key.
  codex: {
    apiKey: 'CODEX_API_KEY',
    keyToken: 'CODEX_API_KEY',
    token: 'AUTHKEEP_ACCESS_TOKEN',
    withToken: {},
  },
  gemini: {
    apiKey: 'GEMINI_API_KEY',
    keyToken: 'GOOGLE_CLOUD_ACCESS_TOKEN',
    token: 'GOOGLE_CLOUD_ACCESS_TOKEN',
    withToken: { GOOGLE_GENAI_USE_GCA: 'true' },
  },
  // The first of the variables Copilot reads (COPILOT_GITHUB_TOKEN > GH_TOKEN > GITHUB_TOKEN).
  copilot: {
    apiKey: 'COPILOT_GITHUB_TOKEN',
    keyToken: 'COPILOT_GITHUB_TOKEN',
    token: 'COPILOT_GITHUB_TOKEN',
    withToken: {},
  },
}

/**
 * Which secret a command gets and in which variable: a stored key first, else the OAuth access token,
 * refreshed first under the lock. For Claude Code, Codex and Gemini, the variables that would outrank it
 * are removed. `account`: the profile holding the grant of an account bound to the directory, which
 * outranks a key.
 */
export async function planExec(
  deps: Deps,
  profile: Profile,
  variableOverride: string | undefined,
  account?: Profile,
): Promise<ExecPlan> {
  const claude = profile.kind === 'claude-code'
  const vars = VARIABLES[profile.kind]
  const key = account ? undefined : await deps.keys.get(profile.name)
  const warnings: string[] = []
  let secret: string | undefined
  let variable: string | undefined
  let alongside: Record<string, string> = {}
  // Codex reads auth.json itself and refreshes at its own 5 minutes; run by authkeep, it asks authkeep
  // for that refresh, so nothing is refreshed ahead of it: the login only has to be there. On a machine
  // served by the token agent, the agent's tokens are put there (without the refresh token).
  const relay = profile.kind === 'codex' && !key && !variableOverride
  if (relay && deps.processEnv.AUTHKEEP_AGENT_SOCK) {
    await codexLoginFromAgent(deps, profile, false)
  } else if (relay) {
    usable(profile, await deps.credentialsOf(profile).read())
  } else if (key) {
    secret = key.value
    variable = key.kind === 'api_key' ? vars.apiKey : vars.keyToken
    if (key.kind !== 'api_key') alongside = vars.withToken
    if (key.expiresAt && key.expiresAt <= deps.clock.now()) {
      warnings.push(`the stored key of profile "${profile.name}" expired at ${key.expiresAt.toISOString()}`)
    }
  } else {
    const { credential } = await getToken(deps, account ?? profile)
    secret = credential.accessToken?.reveal() ?? ''
    variable = vars.token
    alongside = vars.withToken
  }
  if (!relay) variable = variableOverride ?? variable
  const env: NodeJS.ProcessEnv = { ...deps.processEnv }
  // Codex reads its login from auth.json; a key variable would outrank it there.
  const outranking =
    profile.kind === 'codex'
      ? key
        ? []
        : CODEX_KEYS
      : profile.kind === 'oauth' || variable === undefined
        ? []
        : (OUTRANKS[variable] ?? [])
  const cleared = outranking.filter((v) => env[v] !== undefined)
  for (const v of cleared) delete env[v]
  Object.assign(env, variableOverride ? {} : alongside)
  if (variable !== undefined && secret !== undefined) env[variable] = secret
  if (profile.kind === 'gemini' && variable) warnings.push(...(await geminiSettingsWarnings(deps, variable)))
  if (claude) {
    const helper = await apiKeyHelper(claudeConfigDir(profile, deps.processEnv, deps.home))
    if (helper && !helper.includes('authkeep')) {
      warnings.push(
        `apiKeyHelper in Claude's settings.json ("${printable(helper, 200)}") outranks ${variable}`,
      )
    }
  }
  if (relay && env.CODEX_REFRESH_TOKEN_URL_OVERRIDE !== undefined) {
    warnings.push(
      `CODEX_REFRESH_TOKEN_URL_OVERRIDE is replaced for the command: Codex refreshes through authkeep, which refreshes at ${profile.endpoints.token}`,
    )
  }
  return { env, variable, secret, cleared, warnings, relay }
}

/** Gemini's settings.json `security.auth.selectedType` outranks every variable. */
async function geminiSettingsWarnings(deps: Deps, variable: string): Promise<string[]> {
  const selected = await selectedAuthType(deps.processEnv, deps.home)
  const wanted = variable === 'GEMINI_API_KEY' ? 'gemini-api-key' : 'oauth-personal'
  if (selected === undefined || selected === wanted) return []
  return [
    `security.auth.selectedType "${printable(selected, 40)}" in Gemini's settings.json outranks ${variable} (it needs "${wanted}")`,
  ]
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
