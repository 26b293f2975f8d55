import { statfs } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Check, finding } from '../finding.js'
import { sh } from './shell.js'

/** A refresh writes a temp file of a few KiB beside the credential, then a backup: less than this is full. */
export const MIN_FREE_BYTES = 64 * 1024

export const diskFull: Check = {
  id: 'disk.full',
  title: 'the file system holding the credential has room for a refreshed one',
  async run(ctx) {
    // The nearest directory that exists: a login not made yet still writes there.
    let dir = ctx.configDir ?? dirname(ctx.credentialFile)
    let fs = await statfs(dir).catch(() => undefined)
    while (!fs && dirname(dir) !== dir) {
      dir = dirname(dir)
      fs = await statfs(dir).catch(() => undefined)
    }
    if (!fs) return []
    const free = fs.bavail * fs.bsize
    // Some file systems (btrfs) count no inodes at all: zero of zero is not "none left".
    const noInodes = fs.files > 0 && fs.ffree === 0
    if (free >= MIN_FREE_BYTES && !noInodes) return []
    return [
      finding(
        'disk.full',
        'error',
        free >= MIN_FREE_BYTES
          ? `the file system holding ${dir} has no free inodes`
          : `the file system holding ${dir} has ${Math.floor(free / 1024)} KiB free`,
        'a refresh spends the old refresh token and must then write the new one: with no room the write fails and the login is lost at the next expiry',
        `df -h ${sh(dir)}`,
      ),
    ]
  },
}
