import type { Deps } from '../deps.js'
import { UsageError } from '../errors.js'
import { type Config, deleteProfile } from '../profiles/configFile.js'
import type { Profile } from '../profiles/profile.js'
import { type BackupResult, backupExisting } from '../stores/backups.js'
import { withCredentialLock } from './credentialLock.js'

/**
 * `profile remove`: the stored login is backed up and removed under the lock (never revoked: that is
 * logout's job), then the client secret and the profile itself go.
 */
export async function removeProfile(deps: Deps, config: Config, profile: Profile): Promise<BackupResult> {
  if (!(profile.name in config.raw.profiles)) {
    throw new UsageError(`"${profile.name}" is built in and cannot be removed`, 'authkeep profile list')
  }
  const store = deps.credentialsOf(profile)
  const saved = await withCredentialLock(deps, profile, async () => {
    const saved = await backupExisting(deps.paths, store, profile.name, 'profile-remove', deps.clock.now())
    if (saved.backup) await store.remove(saved.credential?.secretsIn)
    return saved
  })
  await deps.clientSecrets.remove(profile.name)
  await deleteProfile(config, profile.name)
  return saved
}
