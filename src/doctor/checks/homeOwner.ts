import { stat } from 'node:fs/promises'
import { type Check, finding } from '../finding.js'
import { sh } from './shell.js'

export const homeOwner: Check = {
  id: 'home.owner',
  title: 'HOME belongs to the user running doctor',
  async run(ctx) {
    if (ctx.uid < 0) return []
    const s = await stat(ctx.home).catch(() => undefined)
    if (!s || s.uid === ctx.uid) return []
    return [
      finding(
        'home.owner',
        'error',
        `HOME=${ctx.home} is owned by uid ${s.uid}, but doctor runs as uid ${ctx.uid}`,
        "sudo without -H keeps the caller's HOME: Claude Code and authkeep then read and rewrite another user's login, leaving files that user can no longer write",
        `sudo -H -u "$(stat -c %U ${sh(ctx.home)})" authkeep doctor --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
