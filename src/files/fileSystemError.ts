import { dirname } from 'node:path'
import { AuthkeepError, ExitCode } from '../errors.js'

const sh = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

// Failures of the disk or its permissions, which the person fixes outside authkeep.
const CAUSES: Record<string, { what: string; next: (dir: string) => string }> = {
  ENOSPC: { what: 'no space left on the device', next: (d) => `df -h ${sh(d)}` },
  EDQUOT: { what: 'the disk quota is used up', next: (d) => `df -h ${sh(d)}` },
  EROFS: {
    what: 'the file system is read-only',
    next: (d) => `sudo mount -o remount,rw "$(stat -c %m ${sh(d)})"`,
  },
  EACCES: { what: 'permission denied', next: (d) => `ls -ld ${sh(d)}` },
  EPERM: { what: 'operation not permitted (an immutable attribute?)', next: (d) => `lsattr -d ${sh(d)}` },
}

/**
 * Turns a disk or permission failure on `path` into one line that names the file and the cause, with the
 * command that shows what to fix; `unchanged` says the file itself was left as it was. Others pass through.
 */
export function fileSystemError(err: unknown, path: string | undefined, unchanged = false): unknown {
  const code = (err as NodeJS.ErrnoException)?.code
  const cause = code === undefined ? undefined : CAUSES[code]
  if (!cause || !path) return err
  const kept = unchanged ? `; ${path} was left as it was` : ''
  return new AuthkeepError(`cannot write ${path}: ${cause.what} (${code})${kept}`, {
    exitCode: ExitCode.error,
    next: cause.next(dirname(path)),
    cause: err,
  })
}
