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
        `Claude Code and authkeep save refreshed tokens by replacing the file: run as uid ${ctx.uid} they either take it over from its owner, whose own Claude Code then cannot save its login, or cannot save at all and lose the refresh`,
        `sudo chown ${ctx.uid} ${sh(ctx.credentialFile)}`,
      ),
    ]
  },
}
