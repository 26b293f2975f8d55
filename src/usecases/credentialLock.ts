import type { Deps } from '../deps.js'
import { LockTimeoutError } from '../errors.js'
import { LockBusyError } from '../lock/fileLock.js'
import type { Profile } from '../profiles/profile.js'

/** Runs `fn` holding every lock the profile's credential needs (for claude-code, Claude Code's own too). */
export async function withCredentialLock<T>(
  deps: Deps,
  profile: Profile,
  fn: () => Promise<T>,
  whileWaiting?: () => Promise<void>,
): Promise<T> {
  try {
    return await deps.credentialsOf(profile).lock({ timeoutMs: deps.lockTimeoutMs, whileWaiting }, fn)
  } catch (err) {
    if (err instanceof LockBusyError) throw new LockTimeoutError(err.lockPath, err.waitedMs, profile.name)
    throw err
  }
}
