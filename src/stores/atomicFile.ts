import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Creates the directory (and parents) as 0700; an existing directory of ours is tightened to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const s = await stat(dir)
  if ((s.mode & 0o077) !== 0 && s.uid === process.getuid?.()) await chmod(dir, 0o700)
}

/**
 * Replaces `path` so that a reader, or a crash at any instant, sees either the old or the new content:
 * temp file (0600) → write → fsync → rename → fsync of the directory.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
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

export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
