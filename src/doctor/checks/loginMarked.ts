import { fingerprint } from '../../stores/claudeCodeStore.js'
import { type Check, type DoctorContext, finding } from '../finding.js'
import { codexSidecar } from './codex.js'
import { claudeOauth, isRecord, present, readJson } from './jsonFile.js'
import { redact } from './redact.js'
import { readSidecar } from './sidecar.js'

/** The reason authkeep recorded when the server refused a refresh, if that mark is for the current token. */
async function mark(ctx: DoctorContext) {
  if (ctx.profile.kind === 'claude-code') {
    if (ctx.configDir === undefined) return undefined
    const refresh = (await claudeOauth(ctx.credentialFile))?.refreshToken
    const sidecar = await readSidecar(ctx.configDir)
    // A mark for an older refresh token is history: Claude or a login has replaced it since.
    if (!present(refresh) || sidecar?.state !== 'login_required') return undefined
    if (sidecar.refreshTokenSha256 !== fingerprint(refresh)) return undefined
    return { reason: sidecar.stateReason }
  }
  if (ctx.profile.kind === 'codex') {
    const sidecar = await codexSidecar(ctx.credentialFile)
    return sidecar?.state === 'login_required' ? { reason: sidecar.stateReason } : undefined
  }
  const read = await readJson(ctx.credentialFile)
  if (read.state !== 'json' || !isRecord(read.value) || read.value.state !== 'login_required')
    return undefined
  const reason = read.value.state_reason
  return { reason: typeof reason === 'string' ? reason : undefined }
}

export const loginMarked: Check = {
  id: 'login.marked',
  title: 'the server has not refused this login',
  async run(ctx) {
    const m = await mark(ctx)
    if (!m) return []
    return [
      finding(
        'login.marked',
        'error',
        `authkeep marked this login as needing a new sign-in${m.reason ? `: ${redact(m.reason)}` : ''}`,
        'the server refused the refresh token (invalid_grant): it was revoked, expired, or spent by another copy, and no refresh can bring it back',
        `authkeep reset --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
