import { join } from 'node:path'
import * as z from 'zod/mini'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { fileChanges, lockHeld } from '../lock/changes.js'
import type { Paths } from '../profiles/paths.js'
import { fingerprint } from './claudeCodeStore.js'
import type { CredentialState } from './credential.js'
import type { CliFileStoreOptions, CredentialStore } from './store.js'

/**
 * What authkeep notes about a client's own credential file that the file has no field for: which machine
 * wrote the login, and a login_required mark. Kept in authkeep's state, not in the client's directory;
 * a note about another token than the file holds now is history and ignored.
 */
const stateSchema = z.looseObject({
  host: z.string(),
  token_sha256: z.string(),
  state: z.optional(z.enum(['active', 'login_required'])),
  state_reason: z.optional(z.string()),
})

/** Where authkeep keeps its note about another CLI's file: beside its own records. */
export function clientStateFile(paths: Paths, profile: string): string {
  return join(paths.credentialsDir, `${profile}.state.json`)
}

export interface ClientState {
  host: string | undefined
  state: CredentialState
  stateReason: string | undefined
}

/** The note for `token` (the refresh token, or the access token where there is none), if it is about it. */
export async function readClientState(file: string, token: string): Promise<ClientState | undefined> {
  const text = await readFileIfExists(file, { symlinks: 'refuse' }).catch(() => undefined)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const parsed = stateSchema.safeParse(json)
  if (!parsed.success || parsed.data.token_sha256 !== fingerprint(token)) return undefined
  return {
    host: parsed.data.host,
    state: parsed.data.state ?? 'active',
    stateReason: parsed.data.state_reason,
  }
}

export async function writeClientState(
  file: string,
  token: string,
  note: { host: string; state: CredentialState; stateReason: string | undefined },
): Promise<void> {
  await writeFileAtomic(
    file,
    `${JSON.stringify({ host: note.host, token_sha256: fingerprint(token), state: note.state, state_reason: note.stateReason })}\n`,
  )
}

/** What a store of another CLI's file needs from authkeep: its own note and lock beside its records. */
export interface ClientFileOptions extends CliFileStoreOptions {
  profile: string
  /** authkeep's own note about the login (machine, login_required mark), outside the CLI's directory. */
  stateFile: string
  /** authkeep's lock for the file, for a CLI that takes none of its own around it. */
  lockFile: string
}

/** Locking, change notices and the refreshing hint of a CLI file guarded by authkeep's lock alone. */
export function ownLock(
  file: string,
  lockFile: string,
): Pick<CredentialStore, 'lock' | 'changes' | 'refreshing'> {
  return {
    async lock(opts, fn) {
      // Loaded here: reading, which every command does, needs no lock library.
      const { withFileLocks } = await import('../lock/fileLock.js')
      return withFileLocks([lockFile], opts, fn)
    },
    changes: () => fileChanges(file),
    refreshing: (now) => lockHeld([lockFile], now),
  }
}
