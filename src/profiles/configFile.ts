import * as z from 'zod/mini'
import { ConfigError, UsageError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { parseJson, quoteInput, validate } from '../validation.js'
import { CLAUDE_CODE, CLAUDE_CODE_DEFAULTS } from './claudeCode.js'
import { CODEX, CODEX_DEFAULTS } from './codex.js'
import { COPILOT, COPILOT_DEFAULTS } from './copilot.js'
import { GEMINI, GEMINI_DEFAULTS } from './gemini.js'
import type { Paths } from './paths.js'
import { PROFILE_NAME, type Profile, type ProfileRecord, profileSchema, toProfile } from './profile.js'

const configSchema = z.looseObject({
  version: z.literal(1),
  profiles: z.record(z.string().check(z.regex(PROFILE_NAME, 'is not a valid profile name')), profileSchema),
})
type ConfigRecord = z.output<typeof configSchema>

export interface Config {
  file: string
  raw: ConfigRecord
  profiles: Map<string, Profile>
}

export async function loadConfig(paths: Paths): Promise<Config> {
  const text = await readFileIfExists(paths.configFile)
  const fix = `\${EDITOR:-vi} ${paths.configFile}`
  const json = text === undefined ? { version: 1, profiles: {} } : parseJson(paths.configFile, text, fix)
  const merged = validate(paths.configFile, withBuiltins(json), configSchema, fix)
  const profiles = new Map(Object.entries(merged.profiles).map(([name, p]) => [name, toProfile(name, p)]))
  for (const name of fleetProfileNames(json)) profiles.set(name, fleetProfile(name, profiles.get(name)))
  // What is saved back is the file as written, without the built-in defaults merged in.
  // A file without "profiles" (`{"version":1}`) is valid: it configures none.
  const raw = { ...merged, profiles: (json as { profiles?: ConfigRecord['profiles'] }).profiles ?? {} }
  return { file: paths.configFile, raw, profiles }
}

/** The profiles a fleet serves this host (`fleet init --profile`); the fleet section is checked by src/fleet. */
function fleetProfileNames(json: unknown): string[] {
  const names = (json as { fleet?: { profiles?: unknown } } | null)?.fleet?.profiles
  return Array.isArray(names)
    ? names.filter((n): n is string => typeof n === 'string' && PROFILE_NAME.test(n))
    : []
}

/**
 * A host's fleet profile. It never talks to the authorization server, so it needs no endpoints of its
 * own; one named like a built-in (claude-code, codex, …) keeps its kind (exec hands the tool its variable).
 */
function fleetProfile(name: string, builtin: Profile | undefined): Profile {
  const base =
    builtin ?? toProfile(name, { token_endpoint: 'https://fleet.invalid/token', client_id: 'authkeep-fleet' })
  return { ...base, fleet: true }
}

/** The built-in profiles: each one a client whose own credential file authkeep keeps. */
export const BUILTINS: Record<string, ProfileRecord> = {
  [CLAUDE_CODE]: CLAUDE_CODE_DEFAULTS,
  [CODEX]: CODEX_DEFAULTS,
  [GEMINI]: GEMINI_DEFAULTS,
  [COPILOT]: COPILOT_DEFAULTS,
}

/** The built-in profiles, each under whatever the config file overrides of it. */
function withBuiltins(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json
  const profiles = (json as { profiles?: unknown }).profiles
  if (profiles !== undefined && (typeof profiles !== 'object' || profiles === null)) return json
  const own = (profiles ?? {}) as Record<string, unknown>
  const builtins = Object.entries(BUILTINS).map(([name, defaults]) => {
    const override = own[name]
    return [name, typeof override === 'object' && override !== null ? { ...defaults, ...override } : defaults]
  })
  const rest = Object.fromEntries(Object.entries(own).filter(([name]) => !(name in BUILTINS)))
  return { ...json, profiles: { ...Object.fromEntries(builtins), ...rest } }
}

export async function saveConfig(config: Config, raw: ConfigRecord): Promise<void> {
  await writeFileAtomic(config.file, `${JSON.stringify(raw, null, 2)}\n`)
}

export async function putProfile(config: Config, name: string, record: ProfileRecord): Promise<void> {
  await saveConfig(config, { ...config.raw, profiles: { ...config.raw.profiles, [name]: record } })
}

export async function deleteProfile(config: Config, name: string): Promise<void> {
  const { [name]: _removed, ...rest } = config.raw.profiles
  await saveConfig(config, { ...config.raw, profiles: rest })
}

/**
 * Profiles the user added to the config file (a built-in counts once overridden there), and the ones a
 * fleet serves this host.
 */
export function configuredProfiles(config: Config): Profile[] {
  return [...config.profiles.values()].filter((p) => p.name in config.raw.profiles || p.fleet)
}

/**
 * --profile, then $AUTHKEEP_PROFILE, then the only profile the user configured; with none configured,
 * the built-in claude-code profile, which is what most people run authkeep for.
 */
export function pickProfile(
  config: Config,
  requested: string | undefined,
  env: NodeJS.ProcessEnv,
  command: string,
): Profile {
  const name = requested ?? env.AUTHKEEP_PROFILE
  if (name !== undefined) {
    const profile = config.profiles.get(name)
    if (profile) return profile
    // The name comes from argv or the environment, where a token pasted by mistake is not rare.
    const shown = quoteInput(name)
    if (!PROFILE_NAME.test(name))
      throw new UsageError(`"${shown}" is not a valid profile name`, 'authkeep profile list')
    throw new UsageError(
      `no profile named "${shown}" in ${config.file}`,
      shown === name ? `authkeep profile add ${name} --issuer URL --client-id ID` : 'authkeep profile list',
    )
  }
  const configured = configuredProfiles(config)
  if (configured.length === 1 && configured[0]) return configured[0]
  const builtin = config.profiles.get(CLAUDE_CODE)
  if (configured.length === 0 && builtin) return builtin
  throw new UsageError(
    `several profiles exist (${configured.map((p) => p.name).join(', ')}); say which`,
    `authkeep ${command} --profile ${configured[0]?.name}`,
  )
}

export function assertNewProfileName(config: Config, name: string): void {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `"${name}" is not a valid profile name (letters, digits, ".", "_", "-"; up to 64)`,
      'authkeep profile list',
    )
  }
  if (config.profiles.has(name)) {
    throw new ConfigError(config.file, `profile "${name}" already exists`, `authkeep profile remove ${name}`)
  }
}

/**
 * Like pickProfile, but on a machine given a forwarded token agent (AUTHKEEP_AGENT_SOCK) a profile the
 * agent serves need not be configured here: only its name travels, the agent's machine holds the rest.
 */
export function pickProfileOrAgent(
  config: Config,
  requested: string | undefined,
  env: NodeJS.ProcessEnv,
  command: string,
): Profile {
  const name = requested ?? env.AUTHKEEP_PROFILE
  if (env.AUTHKEEP_AGENT_SOCK && name && PROFILE_NAME.test(name) && !config.profiles.has(name)) {
    return toProfile(name, { token_endpoint: 'https://agent.invalid/token', client_id: 'authkeep-agent' })
  }
  return pickProfile(config, requested, env, command)
}
