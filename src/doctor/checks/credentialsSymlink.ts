import { lstat, readlink } from 'node:fs/promises'
import { type Check, finding } from '../finding.js'
import { sh } from './shell.js'

export const credentialsSymlink: Check = {
  id: 'credentials.symlink',
  title: 'the credential file is a regular file, not a symlink',
  async run(ctx) {
    const s = await lstat(ctx.credentialFile).catch(() => undefined)
    if (!s?.isSymbolicLink()) return []
    const target = await readlink(ctx.credentialFile).catch(() => '?')
    const f = sh(ctx.credentialFile)
    return [
      finding(
        'credentials.symlink',
        'warning',
        `${ctx.credentialFile} is a symlink to ${target}`,
        ctx.profile.kind === 'claude-code'
          ? 'Claude Code saves refreshed tokens by renaming a new file over this path, which replaces the link with a regular file: the target keeps the spent refresh token, and whatever reads it (a dotfiles repo, another machine) is logged out'
          : 'a save renames a new file over this path, which replaces the link: the target keeps the spent refresh token',
        `cp --remove-destination "$(readlink -f ${f})" ${f}`,
      ),
    ]
  },
}
