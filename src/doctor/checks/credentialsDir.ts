import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Check, finding } from '../finding.js'
import { isShared, ownDirectoryFix, sh } from './shell.js'

export const credentialsDir: Check = {
  id: 'credentials.dir',
  title: 'the directory holding the credential file is yours and closed to other users',
  async run(ctx) {
    if (ctx.uid < 0) return []
    const dir = ctx.configDir ?? dirname(ctx.credentialFile)
    const s = await stat(dir).catch(() => undefined)
    if (!s?.isDirectory()) return []
    const shared = isShared(s.mode)
    if (s.uid !== ctx.uid) {
      return [
        finding(
          'credentials.dir',
          'error',
          `${dir} is owned by uid ${s.uid}, but doctor runs as uid ${ctx.uid}`,
          'its owner can replace or delete the credential file at any time, and a refresh that renames a new file into it fails or hands the file to the wrong user',
          shared ? ownDirectoryFix(ctx.profile.kind) : `sudo chown ${ctx.uid} ${sh(dir)}`,
        ),
      ]
    }
    if ((s.mode & 0o022) === 0) return []
    return [
      finding(
        'credentials.dir',
        'error',
        `${dir} has mode ${(s.mode & 0o7777).toString(8).padStart(4, '0')}: other users can create and rename files in it`,
        'another user can swap the credential file for one of their own, or delete it, whatever the mode of the file itself',
        shared ? ownDirectoryFix(ctx.profile.kind) : `chmod go-w ${sh(dir)}`,
      ),
    ]
  },
}
