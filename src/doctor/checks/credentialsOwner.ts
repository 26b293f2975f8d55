import { stat } from 'node:fs/promises'
import { type Check, finding } from '../finding.js'
import { sh } from './shell.js'

export const credentialsOwner: Check = {
  id: 'credentials.owner',
  title: 'the credential file belongs to the user running doctor',
  async run(ctx) {
    if (ctx.uid < 0) return []
    const s = await stat(ctx.credentialFile).catch(() => undefined)
    if (!s || s.uid === ctx.uid) return []
    return [
      finding(
        'credentials.owner',
        'error',
        `${ctx.credentialFile} is owned by uid ${s.uid}, but doctor runs as uid ${ctx.uid}`,
        ctx.uid === 0
          ? 'a file written by one user and read by another means two people share one login; as root every later save also changes it behind its owner'
          : 'saving refreshed tokens replaces the file, which needs it to be yours: the login stops refreshing, or Claude Code and authkeep act on a login that belongs to someone else',
        `sudo chown ${ctx.uid} ${sh(ctx.credentialFile)}`,
      ),
    ]
  },
}
