import { fingerprint } from '../../stores/claudeCodeStore.js'
import { type Check, type DoctorContext, finding } from '../finding.js'
import { codexSidecar } from './codex.js'
import { claudeOauth, isRecord, present, readJson } from './jsonFile.js'
import { readSidecar } from './sidecar.js'

/** Which machine wrote the current login, when authkeep can tell. */
async function writtenBy(ctx: DoctorContext): Promise<string | undefined> {
  if (ctx.profile.kind === 'claude-code') {
    if (ctx.configDir === undefined) return undefined
    const refresh = (await claudeOauth(ctx.credentialFile))?.refreshToken
    const sidecar = await readSidecar(ctx.configDir)
    // Only a note about this very refresh token says where it came from.
    if (!present(refresh) || !sidecar || sidecar.refreshTokenSha256 !== fingerprint(refresh)) return undefined
    return sidecar.host
  }
  if (ctx.profile.kind === 'codex') return (await codexSidecar(ctx.credentialFile))?.host
  const read = await readJson(ctx.credentialFile)
  if (read.state !== 'json' || !isRecord(read.value)) return undefined
  return typeof read.value.host === 'string' ? read.value.host : undefined
}

export const hostMismatch: Check = {
  id: 'host.mismatch',
  title: 'the login was made on this machine, not copied from another',
  async run(ctx) {
    const host = await writtenBy(ctx)
    if (host === undefined || host === ctx.host) return []
    return [
      finding(
        'host.mismatch',
        'warning',
        `the login was written on ${host}, and this machine is ${ctx.host}: the credential was copied`,
        'both copies hold the same rotating refresh token: the first refresh on either machine spends it, and the other is logged out at its next refresh (Claude Code then wipes its tokens; Codex says its refresh token was already used)',
        `authkeep reset --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
