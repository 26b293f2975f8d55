import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError } from '../errors.js'
import { fileSystemError } from './fileSystemError.js'

/**
 * Creates the directory (and missing parents) as 0700. An existing directory is left as it is: it may be
 * a home or a client's config directory whose mode is not ours to change (doctor reports loose modes).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
}

/**
 * Replaces `path` so that a reader, or a crash at any instant, sees either the old or the new content:
 * temp file (0600) → write → fsync → rename → fsync of the directory.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  try {
    await replaceFile(path, data, mode)
  } catch (err) {
    // The bare errno names no file (a full disk fails `write`): say which file, and that it is intact.
    throw fileSystemError(err, path, true)
  }
}

/**
 * Fails, naming `path`, when `bytes` could not be written beside it now (full disk, read-only, no
 * permission). Called before asking a server to rotate a refresh token: a rotated token that cannot be
 * saved is lost for good, so the refresh must not start.
 */
export async function assertRoomFor(path: string, bytes: number): Promise<void> {
  const probe = `${path}.tmp.${randomBytes(4).toString('hex')}`
  try {
    await ensurePrivateDir(dirname(path))
    const handle = await open(probe, 'wx', 0o600)
    try {
      await handle.writeFile(Buffer.alloc(bytes))
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw fileSystemError(err, path, true)
  } finally {
    await unlink(probe).catch(() => {})
  }
}

async function replaceFile(path: string, data: string, mode: number): Promise<void> {
  const dir = dirname(path)
  await ensurePrivateDir(dir)
  const temp = `${path}.tmp.${randomBytes(4).toString('hex')}`
  const handle = await open(temp, 'wx', mode)
  try {
    await handle.writeFile(data, 'utf8')
    await handle.chmod(mode)
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw err
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}

/** The most authkeep reads of one file: its records, config and Claude's credential file are a few KiB. */
export const MAX_FILE_BYTES = 1024 * 1024

export interface ReadRules {
  /** A larger file is refused unread (default MAX_FILE_BYTES). */
  maxBytes?: number
  /**
   * 'own' (default): a symbolic link is followed when its target is a file of this user's (or root's), as
   * a client's config directory kept in dotfiles may be; 'refuse': a link is never followed.
   */
  symlinks?: 'own' | 'refuse'
}

/**
 * The file's text, or undefined when there is none. Only a regular file of bounded size is opened: a
 * FIFO would block the read forever and a device (a link to /dev/zero) would fill memory, so either is
 * refused before it is opened, and the opened file is checked again. A path that cannot be read (a
 * directory where the file should be, no permission) is an error naming it, exit 3.
 */
export async function readFileIfExists(path: string, rules: ReadRules = {}): Promise<string | undefined> {
  const maxBytes = rules.maxBytes ?? MAX_FILE_BYTES
  const noFollow = rules.symlinks === 'refuse'
  let seen: Stats
  let followed = false
  try {
    seen = await lstat(path)
    followed = seen.isSymbolicLink() && !noFollow
    if (followed) seen = await stat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadable(path, err)
  }
  assertReadable(path, seen, maxBytes, followed)
  let handle: FileHandle
  try {
    const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY
    handle = await open(path, noFollow ? flags | constants.O_NOFOLLOW : flags)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadable(path, err)
  }
  try {
    // What was opened may not be what was looked at (a rename in between): checked again.
    assertReadable(path, await handle.stat(), maxBytes, followed)
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024))
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)))
      total += bytesRead
      if (total > maxBytes) throw tooLarge(path, total, maxBytes)
    }
    return Buffer.concat(chunks, total).toString('utf8')
  } catch (err) {
    throw err instanceof ConfigError ? err : unreadable(path, err)
  } finally {
    await handle.close()
  }
}

/**
 * Where a write to `path` should go to keep a symbolic link there: its target, when that is a file of
 * this user's (or root's); `path` itself when it is no link or a dangling one. A link to another user's
 * file is refused, as reading it is: replacing it would hand that user's file to this one.
 */
export async function linkTarget(path: string): Promise<string> {
  const link = await lstat(path).catch(() => undefined)
  if (!link?.isSymbolicLink()) return path
  const target = await stat(path).catch(() => undefined)
  if (!target) return path
  assertOwnTarget(path, target)
  return realpath(path)
}

function assertOwnTarget(path: string, s: Stats): void {
  const uid = process.getuid?.()
  if (uid !== undefined && s.uid !== uid && s.uid !== 0) {
    throw new ConfigError(
      path,
      `is a symbolic link to a file owned by uid ${s.uid}, not by you (uid ${uid}); authkeep neither reads nor replaces another user's files`,
      `ls -lL ${path}`,
    )
  }
}

function assertReadable(path: string, s: Stats, maxBytes: number, followed: boolean): void {
  if (!s.isFile()) {
    throw new ConfigError(
      path,
      `is ${kindOf(s)}, not a regular file; authkeep reads only regular files`,
      `ls -l ${path}`,
    )
  }
  // A link must not take authkeep (above all as root) into another user's login, which it would refresh
  // and then replace with a file of its own. The owner of a file itself is for its store to judge.
  if (followed) assertOwnTarget(path, s)
  if (s.size > maxBytes) throw tooLarge(path, s.size, maxBytes)
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory'
  if (s.isFIFO()) return 'a FIFO (named pipe)'
  if (s.isSocket()) return 'a socket'
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device'
  if (s.isSymbolicLink()) return 'a symbolic link'
  return 'not a file'
}

function tooLarge(path: string, size: number, maxBytes: number): ConfigError {
  return new ConfigError(
    path,
    `is larger than the ${maxBytes} bytes authkeep reads (${size} bytes or more)`,
    `ls -l ${path}`,
  )
}

function unreadable(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === undefined) return err
  if (code === 'ELOOP')
    return new ConfigError(path, 'is a symbolic link, which authkeep does not follow here', `ls -l ${path}`)
  return new ConfigError(path, `cannot be read (${code})`, 'authkeep doctor')
}
