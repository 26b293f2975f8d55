import * as z from 'zod/mini'
import { ConfigError, UsageError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../stores/atomicFile.js'
import { parseJsonFile } from '../validation.js'
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
  const raw: ConfigRecord =
    text === undefined
      ? { version: 1, profiles: {} }
      : parseJsonFile(paths.configFile, text, configSchema, `\${EDITOR:-vi} ${paths.configFile}`)
  const profiles = new Map(Object.entries(raw.profiles).map(([name, p]) => [name, toProfile(name, p)]))
  return { file: paths.configFile, raw, profiles }
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

/** --profile, then $AUTHKEEP_PROFILE, then the only profile there is. */
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
    if (!PROFILE_NAME.test(name))
      throw new UsageError(`"${name}" is not a valid profile name`, 'authkeep profile list')
    throw new UsageError(
      `no profile named "${name}" in ${config.file}`,
      `authkeep profile add ${name} --issuer URL --client-id ID`,
    )
  }
  const all = [...config.profiles.values()]
  if (all.length === 1 && all[0]) return all[0]
  if (all.length === 0) {
    throw new UsageError(
      'no profile is configured yet',
      'authkeep profile add NAME --issuer URL --client-id ID',
    )
  }
  throw new UsageError(
    `several profiles exist (${all.map((p) => p.name).join(', ')}); say which`,
    `authkeep ${command} --profile ${all[0]?.name}`,
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
