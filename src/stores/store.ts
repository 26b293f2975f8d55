import { linkTarget, writeFileAtomic } from '../files/atomicFile.js'
import type { Changes } from '../lock/changes.js'
import type { LockOptions } from '../lock/fileLock.js'
import type { Credential, SecretsJson, SecretsLocation } from './credential.js'

/**
 * One profile's credential, wherever it lives (authkeep's record, another CLI's own file, later a fleet
 * store or an account slot). Built once per profile by storeFor() in stores/index.ts.
 */
export interface CredentialStore {
  read(): Promise<Credential | undefined>
  /** Writes atomically; where the secrets go follows `credential.secretsIn`. */
  write(credential: Credential): Promise<void>
  /** Deletes the login, and the keyring entry when the secrets live there. Callers back up first. */
  remove(secretsIn: SecretsLocation | undefined): Promise<void>
  /**
   * Runs `fn` holding what every writer of this credential holds before a refresh (for another CLI's
   * file, that CLI's own locks). All or none; throws LockBusyError after `timeoutMs`.
   */
  lock<T>(opts: LockOptions, fn: () => Promise<T>): Promise<T>
  /** Wakes a waiter as soon as a peer's write lands, so it can adopt the token without the lock. */
  changes(): Changes
  /** Whether another process is refreshing this credential now (holds its lock): a hint, read only. */
  refreshing(now: Date): Promise<boolean>
  /**
   * For a client that sends its refresh before it takes its lock (Codex): whether it has its answer
   * and waits to write it. A refresh then would spend the token once more; its write is adopted instead.
   */
  peerCommitting?(): Promise<boolean>
  /** Where the secrets live, for `status` and `login`. */
  describe(credential: Credential): string
  /** The local file that holds the login (backups, doctor, the room check before a refresh), if any. */
  readonly file: string | undefined
  /** Puts back a file exactly as a backup holds it, and its keyring secrets when it had any. */
  restoreRaw(content: string, keyringSecrets: SecretsJson | undefined): Promise<void>
  /** Throws KeyringUnavailableError unless a write with secrets in the keyring could be stored. */
  probeKeyring(): Promise<void>
}

/** What authkeep tells every store of another CLI's own credential file. */
export interface CliFileStoreOptions {
  /** The profile name the credential is read as. */
  profile?: string
  /** This machine's fingerprint, asked for only when a login is written or was written elsewhere. */
  host: () => string
  /** Called with each credential file authkeep writes, to keep the last good one. */
  onWritten?: (file: string, content: string) => Promise<void>
}

/**
 * What every store of another CLI's own file has alike: the file, no keyring, and a restore that puts
 * the backup's content back whole (through a link, at the file it points to).
 */
export function cliFile(file: string): Pick<CredentialStore, 'file' | 'probeKeyring' | 'restoreRaw'> {
  return {
    file,
    probeKeyring: async () => {},
    async restoreRaw(content) {
      await writeFileAtomic(await linkTarget(file), content)
    },
  }
}
