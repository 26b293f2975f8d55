import { join } from 'node:path'
import type { Paths } from '../profiles/paths.js'
import { readFileIfExists, writeFileAtomic } from './atomicFile.js'
import { type Credential, toRecord } from './credential.js'
import type { CredentialStore } from './credentialStore.js'

export type BackupReason = 'login' | 'logout' | 'profile-remove' | 'unreadable'

/**
 * Writes a 0600 copy of a credential before anything replaces or removes it. Secrets kept in the keyring
 * are copied inline, so a backup alone is enough to restore.
 */
export async function backupCredential(
  paths: Paths,
  profile: string,
  content: Credential | string,
  reason: BackupReason,
  now: Date,
): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const file = join(paths.backupsDir, profile, `${stamp}-${reason}.json`)
  const record = typeof content === 'string' ? { unreadable_original: content } : toRecord(content, true)
  const backup = {
    kind: 'authkeep-backup',
    version: 1,
    profile,
    reason,
    created_at: now.toISOString(),
    record,
  }
  await writeFileAtomic(file, `${JSON.stringify(backup, null, 2)}\n`)
  return file
}

/**
 * Backs up whatever is stored for the profile, readable or not: a record that fails validation is
 * kept as its raw text. Returns the parsed credential (if any) and the backup's path (if one was made).
 */
export async function backupExisting(
  paths: Paths,
  store: CredentialStore,
  profile: string,
  reason: BackupReason,
  now: Date,
): Promise<{ credential: Credential | undefined; backup: string | undefined }> {
  try {
    const credential = await store.read(profile)
    if (!credential) return { credential: undefined, backup: undefined }
    return { credential, backup: await backupCredential(paths, profile, credential, reason, now) }
  } catch (err) {
    const raw = await readFileIfExists(store.recordFile(profile))
    if (raw === undefined) throw err
    return { credential: undefined, backup: await backupCredential(paths, profile, raw, 'unreadable', now) }
  }
}
