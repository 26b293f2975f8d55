import { realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { DoctorContext } from '../finding.js'

/** The lock directories a refresh of this credential takes: Claude Code's two, or authkeep's own. */
export async function lockPaths(ctx: DoctorContext): Promise<string[]> {
  if (ctx.profile.kind !== 'claude-code' || ctx.configDir === undefined) {
    return [join(dirname(ctx.credentialFile), `${basename(ctx.credentialFile, '.json')}.lock`)]
  }
  const real = await realpath(ctx.configDir).catch(() => ctx.configDir?.replace(/\/+$/, '') ?? '')
  return [join(ctx.configDir, '.oauth_refresh.lock'), `${real}.lock`]
}
