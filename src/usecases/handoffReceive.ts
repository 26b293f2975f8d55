import type { Deps } from '../deps.js'
import { ConfigError, UsageError } from '../errors.js'
import { parsePayload } from '../handoff/payload.js'
import { BUILTINS, type Config, loadConfig, pickProfile, putProfile } from '../profiles/configFile.js'
import { PROFILE_NAME, type ProfileRecord, profileSchema } from '../profiles/profile.js'
import { backupExisting } from '../stores/backups.js'
import { withCredentialLock } from './credentialLock.js'

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += String(chunk)
  return text
}

/**
 * The remote end of `login --for`: reads the payload from stdin and stores it like a login would
 * (lock, backup, atomic 0600 write, Claude's other keys kept). A profile this machine does not
 * know yet is added from the sender's settings; one it knows keeps its own settings.
 */
export async function receiveHandoff(deps: Deps, config: Config, name: string | undefined): Promise<void> {
  if (name === undefined || !PROFILE_NAME.test(name))
    throw new UsageError('--receive needs --profile NAME', 'authkeep login --for user@host --profile NAME')
  const text = await readAll(deps.io.stdin)
  const now = deps.clock.now()
  let cfg = config
  const known = cfg.profiles.get(name)
  const kind = known?.kind ?? (name === 'claude-code' ? 'claude-code' : 'oauth')
  const { settings, credential } = parsePayload(text, { name, kind }, now, deps.host)
  if (!(name in cfg.raw.profiles) && settings !== undefined) {
    // A built-in's entry overrides only some of its defaults: valid once they are merged in.
    const defaults = BUILTINS[name]
    const merged =
      defaults && typeof settings === 'object' && settings !== null ? { ...defaults, ...settings } : settings
    const parsed = profileSchema.safeParse(merged)
    if (!parsed.success)
      throw new ConfigError(cfg.file, `the sender's settings for profile "${name}" are not valid`)
    await putProfile(cfg, name, defaults ? (settings as ProfileRecord) : parsed.data)
    cfg = await loadConfig(deps.paths)
    deps.io.err(`Added profile "${name}" to ${cfg.file} from the sender's settings.\n`)
  }
  const profile = pickProfile(cfg, name, deps.processEnv, 'login')
  const store = deps.credentialsOf(profile)
  await withCredentialLock(deps, profile, async () => {
    await backupExisting(deps.paths, store, name, 'login', now)
    await store.write(credential)
  })
  deps.io.err(`✓ Received a login for profile "${name}"; secrets in ${store.describe(credential)}.\n`)
}
