import { lstat, realpath, stat, unlink } from 'node:fs/promises'
import { AuthkeepError, ConfigError, UnsafeFileError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { fileChanges, lockHeld } from '../lock/changes.js'
import { credentialFile, credentialLock, type Paths } from '../profiles/paths.js'
import { parseJsonFile } from '../validation.js'
import { fromRecord, recordSchema, secretsOf, secretsSchema, toRecord } from './credential.js'
import { KEYRING_SERVICE, type Keyring } from './keyring.js'
import type { CredentialStore } from './store.js'

/** One 0600 JSON record per profile in a 0700 directory; tokens inline or in the keyring. */
export function createCredentialStore(
  paths: Paths,
  keyring: () => Keyring,
  profile: string,
  /** Whose records these are (the process's uid); undefined where there are no uids. */
  uid: number | undefined,
): CredentialStore {
  const file = credentialFile(paths, profile)
  // logout keeps an unreadable record as a raw-text backup before removing it; a new login follows.
  const relogin = `authkeep logout --profile ${profile}`

  return {
    file,
    async lock(opts, fn) {
      // Loaded here: serving a fresh token, which most commands do, needs no lock library.
      const { withFileLocks } = await import('../lock/fileLock.js')
      return withFileLocks([credentialLock(paths, profile)], opts, fn)
    },
    changes: () => fileChanges(file),
    refreshing: (now) => lockHeld([credentialLock(paths, profile)], now),

    async read() {
      // Checked before it is opened: a link, or someone else's file, is never read.
      if (!(await assertPrivate(file, profile, uid))) return undefined
      const text = await readFileIfExists(file, { symlinks: 'refuse' })
      if (text === undefined) return undefined
      const record = parseJsonFile(file, text, recordSchema, relogin)
      if (record.secrets_in === 'file') return fromRecord(record, record)
      const where = `keyring ${KEYRING_SERVICE}/${profile}`
      const blob = await keyring()
        .get(profile)
        .catch((err: Error) => {
          throw new AuthkeepError(
            `cannot read the secrets of profile "${profile}" from the ${where}: ${err.message}`,
            {
              next: `authkeep login --profile ${profile}`,
            },
          )
        })
      if (blob === null) return fromRecord(record, {})
      return fromRecord(record, parseJsonFile(where, blob, secretsSchema, relogin))
    },

    async write(credential) {
      const inKeyring = credential.secretsIn === 'keyring'
      // The keyring first: a crash between the two leaves newer secrets with older metadata, which only
      // costs one extra refresh; the other order could pair metadata with secrets that were never stored.
      if (inKeyring) await keyring().set(profile, JSON.stringify(secretsOf(credential)))
      await writeFileAtomic(file, `${JSON.stringify(toRecord(credential, !inKeyring), null, 2)}\n`)
    },

    async remove(secretsIn) {
      if (secretsIn === 'keyring') await keyring().delete(profile)
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    },

    async restoreRaw(content, keyringSecrets) {
      if (keyringSecrets) await keyring().set(profile, JSON.stringify(keyringSecrets))
      await writeFileAtomic(file, content)
    },

    async probeKeyring() {
      // A read of a missing entry answers null even where nothing can be stored: only a write tells.
      await keyring().set('.probe', 'authkeep')
      await keyring().delete('.probe')
    },

    describe(credential) {
      return credential.secretsIn === 'keyring'
        ? `keyring (${KEYRING_SERVICE}/${credential.profile})`
        : `file ${file}`
    },
  }
}

/**
 * A record others can read, one owned by someone else, or a symbolic link is refused rather than used.
 * False when there is no record.
 */
async function assertPrivate(file: string, profile: string, uid: number | undefined): Promise<boolean> {
  const s = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw new ConfigError(file, `cannot be read (${err.code})`, 'authkeep doctor')
  })
  if (!s) return false
  if (s.isSymbolicLink()) {
    // The link's target may be anyone's file, and the next atomic write would replace the link anyway.
    const target = await realpath(file).catch(() => undefined)
    // Copying is the cure only for a link to a file (a device or a FIFO would be copied forever).
    const regular = (await stat(file).catch(() => undefined))?.isFile() === true
    throw new UnsafeFileError(
      file,
      `is a symbolic link${target ? ` to ${target}` : ''}; authkeep keeps its records as its own files`,
      target && regular ? `cp --remove-destination ${target} ${file} && chmod 600 ${file}` : `rm ${file}`,
    )
  }
  if (uid !== undefined && s.uid !== uid) {
    throw new UnsafeFileError(
      file,
      `owned by uid ${s.uid}, not by you (uid ${uid})`,
      `sudo chown ${uid} ${file}`,
    )
  }
  if ((s.mode & 0o077) !== 0) {
    throw new UnsafeFileError(
      file,
      `readable by other users (mode ${(s.mode & 0o777).toString(8)}); the tokens of profile "${profile}" may be exposed`,
      `chmod 600 ${file}`,
    )
  }
  return true
}
