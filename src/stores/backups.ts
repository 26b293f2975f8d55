import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError, UnsafeFileError } from '../errors.js'
import { MAX_FILE_BYTES, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import type { Paths } from '../profiles/paths.js'
import { parseJsonFile, quoteInput } from '../validation.js'
import { type Credential, secretsOf, secretsSchema } from './credential.js'
import type { CredentialStore } from './store.js'

export type BackupReason = 'login' | 'logout' | 'reset' | 'restore' | 'profile-remove' | 'last-good'

/**
 * A backup is the credential file exactly as it was (Claude's or ours, readable or not), plus the
 * secrets when they lived in the keyring, so restoring puts back precisely what was there.
 */
export const backupSchema = z.looseObject({
  kind: z.literal('authkeep-backup'),
  version: z.literal(2),
  profile: z.string(),
  reason: z.string(),
  created_at: z.string(),
  file: z.string(),
  content: z.string(),
  keyring_secrets: z.optional(secretsSchema),
})
export type Backup = z.output<typeof backupSchema>

export interface BackupResult {
  credential: Credential | undefined
  /** Why the file was backed up but could not be read as a credential, and whether that was its place. */
  unread: { why: string; unsafe: boolean } | undefined
  /** The backup file, or undefined when there was nothing to back up. */
  backup: string | undefined
}

export function backupId(file: string): string {
  return `${basename(join(file, '..'))}/${basename(file, '.json')}`
}

/** Writes a 0600 copy of whatever is stored for the profile before anything replaces or removes it. */
export async function backupExisting(
  paths: Paths,
  store: CredentialStore,
  profile: string,
  reason: BackupReason,
  now: Date,
): Promise<BackupResult> {
  // A store with no local file (a remote one) keeps its own history.
  const file = store.file
  const content = file === undefined ? undefined : await readFileIfExists(file)
  if (file === undefined || content === undefined)
    return { credential: undefined, unread: undefined, backup: undefined }
  let unread: BackupResult['unread']
  const credential = await store.read().catch((err: Error) => {
    unread = {
      why: err instanceof ConfigError ? err.detail : err.message,
      unsafe: err instanceof UnsafeFileError,
    }
    return undefined
  })
  const backup: Backup = {
    kind: 'authkeep-backup',
    version: 2,
    profile,
    reason,
    created_at: now.toISOString(),
    file,
    content,
    ...(credential?.secretsIn === 'keyring' ? { keyring_secrets: secretsOf(credential) } : {}),
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const target = join(paths.backupsDir, profile, `${stamp}-${reason}.json`)
  await writeFileAtomic(target, `${JSON.stringify(backup, null, 2)}\n`)
  return { credential, unread, backup: target }
}

/**
 * Claude Code empties its file when the server refuses its refresh token; this rolling copy of the
 * last credential authkeep wrote lets a person see what was there and put it back (`last-good` id).
 */
export async function keepLastGood(
  paths: Paths,
  profile: string,
  file: string,
  content: string,
  now: Date,
): Promise<void> {
  const backup: Backup = {
    kind: 'authkeep-backup',
    version: 2,
    profile,
    reason: 'last-good',
    created_at: now.toISOString(),
    file,
    content,
  }
  await writeFileAtomic(
    join(paths.backupsDir, profile, 'last-good.json'),
    `${JSON.stringify(backup, null, 2)}\n`,
  )
}

export interface BackupEntry {
  id: string
  file: string
  profile: string
  reason: string
  created_at: string
}

/** Every backup, newest first; a file that does not parse is listed by name with reason "unreadable". */
export async function listBackups(paths: Paths, profile?: string): Promise<BackupEntry[]> {
  const profiles = profile ? [profile] : await readdir(paths.backupsDir).catch(() => [])
  const entries: BackupEntry[] = []
  for (const p of profiles) {
    const names = await readdir(join(paths.backupsDir, p)).catch(() => [])
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const file = join(paths.backupsDir, p, name)
      const backup = await readBackup(file).catch(() => undefined)
      entries.push({
        id: backupId(file),
        file,
        profile: p,
        // Shown one per line by `backups`: a hand-edited file must not break the list or show a token.
        reason: backup ? quoteInput(backup.reason, 40) : 'unreadable',
        created_at: backup ? quoteInput(backup.created_at, 40) : '',
      })
    }
  }
  return entries.sort((a, b) => b.id.localeCompare(a.id))
}

/** A backup holds a credential file (at most MAX_FILE_BYTES), escaped into a JSON string. */
const BACKUP_MAX_BYTES = 8 * MAX_FILE_BYTES

export async function readBackup(file: string): Promise<Backup> {
  const text = await readFileIfExists(file, { maxBytes: BACKUP_MAX_BYTES })
  if (text === undefined) throw new Error(`${file} does not exist`)
  return parseJsonFile(file, text, backupSchema, 'authkeep backups')
}
