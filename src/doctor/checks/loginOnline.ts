import { lstat } from 'node:fs/promises'
import { LoginRequiredError } from '../../errors.js'
import { type Check, finding } from '../finding.js'
import { directProbe } from './endpointProbe.js'
import { redact } from './redact.js'

export const loginOnline: Check = {
  id: 'login.online',
  title: 'the server accepts the login: one refresh under the lock (--online)',
  // Copilot's token has nothing to refresh: copilot.online asks GitHub instead.
  kinds: ['oauth', 'claude-code', 'gemini'],
  async run(ctx) {
    const refreshNow = ctx.refreshNow
    // No login, or no way to reach the server, are already other checks' findings.
    if (!ctx.online || !refreshNow || !(await lstat(ctx.credentialFile).catch(() => undefined))) return []
    if (!(await directProbe(ctx)).ok) return []
    try {
      await refreshNow()
      return []
    } catch (err) {
      const message = redact((err as Error).message)
      if (err instanceof LoginRequiredError) {
        return [
          finding(
            'login.online',
            'error',
            `the server refused the login: ${message}`,
            `the refresh token is revoked, expired or spent (by another copy, or by a refresh whose answer was lost)${ctx.profile.kind === 'claude-code' ? '; Claude Code wipes its tokens at its next refresh' : ''}`,
            `authkeep reset --profile ${ctx.profile.name}`,
          ),
        ]
      }
      return [
        finding(
          'login.online',
          'warning',
          `the test refresh failed: ${message}`,
          'doctor could not confirm that the server still accepts the login',
          `authkeep refresh --profile ${ctx.profile.name} --force`,
        ),
      ]
    }
  },
}
