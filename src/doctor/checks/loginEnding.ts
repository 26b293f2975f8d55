import { type Check, finding, type Severity } from '../finding.js'
import { isRecord, readJson } from './jsonFile.js'

const day = 86_400_000

/** When the login itself (the refresh token) ends: Claude's refreshTokenExpiresAt, or authkeep's record. */
async function loginEnd(file: string, claude: boolean): Promise<number | undefined> {
  const read = await readJson(file)
  if (read.state !== 'json' || !isRecord(read.value)) return undefined
  if (claude) {
    const o = read.value.claudeAiOauth
    const at = isRecord(o) ? o.refreshTokenExpiresAt : undefined
    return typeof at === 'number' && at > 0 ? at : undefined
  }
  const at = read.value.refresh_expires_at
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN
  return Number.isFinite(ms) ? ms : undefined
}

export const loginEnding: Check = {
  id: 'login.ending',
  title: 'the login does not end within 30 days',
  async run(ctx) {
    const end = await loginEnd(ctx.credentialFile, ctx.profile.kind === 'claude-code')
    if (end === undefined) return []
    const left = end - ctx.now.getTime()
    if (left > 30 * day) return []
    const severity: Severity = left <= 0 ? 'error' : left <= 7 * day ? 'warning' : 'info'
    const days = Math.floor(Math.abs(left) / day)
    const when = new Date(end).toISOString()
    return [
      finding(
        'login.ending',
        severity,
        left <= 0
          ? `the login ended on ${when}`
          : `the login ends on ${when} (in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`})`,
        left <= 0
          ? 'no refresh can work any more: every request fails until someone logs in again'
          : 'after that no refresh works, however often it runs; Claude Code warns only 3 days ahead, and on an unattended machine nobody sees it',
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
