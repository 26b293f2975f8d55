import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
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

/**
 * The file's text, or undefined when there is none. A path that cannot be read (a directory where the
 * file should be, a file where a directory should be, no permission) is an error naming it, exit 3.
 */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === undefined) throw err
    throw new ConfigError(path, `cannot be read (${code})`, 'authkeep doctor')
  }
}
