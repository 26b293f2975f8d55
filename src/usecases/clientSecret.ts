import type { Deps } from '../deps.js'
import { UsageError } from '../errors.js'
import { publicClientSecret } from '../profiles/gemini.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'

/**
 * The profile with its client secret, read from its store (keyring or 0600 file) just before use; a
 * built-in "installed app" client (Gemini's) brings its public one.
 */
export async function withClientSecret(
  deps: Pick<Deps, 'clientSecrets'>,
  profile: Profile,
): Promise<Profile> {
  const stored = await deps.clientSecrets.get(profile.name)
  const value = stored?.value ?? publicClientSecret(profile)
  return value ? { ...profile, clientSecret: new Secret(value) } : profile
}

/** A client secret as typed or piped: one line of printable characters, never from argv. */
export function checkClientSecret(value: string, profile: string): Secret {
  const secret = value.trim()
  const again = `authkeep profile add ${profile} --client-secret …`
  if (secret === '')
    throw new UsageError('no client secret was given (empty input); nothing was stored', again)
  if (!/^[\x20-\x7e]+$/.test(secret))
    throw new UsageError('the client secret has unprintable characters; nothing was stored', again)
  return new Secret(secret)
}
