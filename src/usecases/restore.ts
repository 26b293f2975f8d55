import type { Deps } from '../deps.js'
import { UsageError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { backupExisting, listBackups, readBackup } from '../stores/backups.js'
import { withCredentialLock } from './credentialLock.js'

export interface RestoreResult {
  file: string
  /** The backup made of what the restore replaced, if anything was there. */
  replaced: string | undefined
}

/** Puts a backup back exactly as it was, after backing up whatever is there now. */
export async function restore(
  deps: Deps,
  id: string,
  profileNamed: (name: string) => Profile,
): Promise<RestoreResult> {
  const entry = (await listBackups(deps.paths)).find((b) => b.id === id)
  if (!entry) throw new UsageError(`no backup with id "${id}"`, 'authkeep backups')
  const backup = await readBackup(entry.file)
  const profile = profileNamed(backup.profile)
  const store = deps.credentialsOf(profile)
  return withCredentialLock(deps, profile, async () => {
    const { backup: replaced } = await backupExisting(
      deps.paths,
      store,
      profile.name,
      'restore',
      deps.clock.now(),
    )
    await store.restoreRaw(backup.content, backup.keyring_secrets)
    return { file: store.file ?? backup.file, replaced }
  })
}
