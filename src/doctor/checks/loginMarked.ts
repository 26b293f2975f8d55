import { readFileIfExists } from '../../files/atomicFile.js'
import { copilotHost } from '../../profiles/copilot.js'
import { resolvePaths } from '../../profiles/paths.js'
import { fingerprint } from '../../stores/claudeCodeStore.js'
import { clientStateFile, readClientState } from '../../stores/clientState.js'
import { currentLogin, parseCopilotFile } from '../../stores/copilotStore.js'
import { parseGeminiFile } from '../../stores/geminiStore.js'
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
  if (ctx.profile.kind === 'gemini' || ctx.profile.kind === 'copilot') return clientMark(ctx)
  const read = await readJson(ctx.credentialFile)
  if (read.state !== 'json' || !isRecord(read.value) || read.value.state !== 'login_required')
    return undefined
  const reason = read.value.state_reason
  return { reason: typeof reason === 'string' ? reason : undefined }
}

/** Gemini's and Copilot's files have no field for it: authkeep's note beside its records holds the mark. */
async function clientMark(ctx: DoctorContext) {
  let token: string | undefined
  try {
    const content = await readFileIfExists(ctx.credentialFile)
    if (content === undefined) return undefined
    if (ctx.profile.kind === 'gemini') {
      const raw = parseGeminiFile(ctx.credentialFile, content)
      token = raw.refresh_token || raw.access_token
    } else {
      token = currentLogin(parseCopilotFile(ctx.credentialFile, content).raw, copilotHost(ctx.profile))?.token
    }
  } catch {
    // credentials.unparseable speaks for a file that cannot be read.
    return undefined
  }
  if (!token) return undefined
  const note = await readClientState(
    clientStateFile(resolvePaths(ctx.env, ctx.home), ctx.profile.name),
    token,
  )
  return note?.state === 'login_required' ? { reason: note.stateReason } : undefined
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
