import { printable } from '../../printable.js'
import type { StatusEntry } from '../../usecases/status.js'

function inWords(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000)
  const text =
    m < 60
      ? `${m}m`
      : m < 48 * 60
        ? `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`
        : `${Math.floor(m / 1440)}d`
  return ms < 0 ? `${text} ago` : `in ${text}`
}

const MARK: Record<StatusEntry['state'], string> = {
  valid: '✓',
  expiring: '✓',
  expired: '!',
  login_required: 'X',
  logged_out: '-',
  unreadable: 'X',
}

const STATE: Record<StatusEntry['state'], string> = {
  valid: 'Logged in',
  expiring: 'Logged in, access token due for refresh',
  expired: 'Access token expired, refreshable',
  login_required: 'Login required',
  logged_out: 'Not logged in',
  unreadable: 'Stored credential unreadable',
}

export function renderStatus(entries: StatusEntry[], now: Date): string {
  if (entries.length === 0)
    return 'No profiles yet. Add one with: authkeep profile add NAME --issuer URL --client-id ID\n'
  return entries
    .map((e) => {
      const lines = [`${e.profile} (${e.issuer})`, `  ${MARK[e.state]} ${STATE[e.state]}`]
      if (e.access_token_expires_at) {
        const at = new Date(e.access_token_expires_at)
        lines.push(
          `  - Access token expires ${inWords(at.getTime() - now.getTime())} (${e.access_token_expires_at})`,
        )
      }
      if (e.state !== 'logged_out' && e.state !== 'unreadable') {
        const end = e.refresh_token_expires_at
          ? `, ends ${inWords(new Date(e.refresh_token_expires_at).getTime() - now.getTime())}`
          : ''
        lines.push(`  - Refresh token: ${e.refresh_token ? `present${end}` : 'none'}`)
      }
      if (e.stored_in) lines.push(`  - Stored in: ${e.stored_in}`)
      if (e.other_host)
        lines.push(`  ! Written on another machine (${e.other_host}): each machine needs its own login`)
      for (const w of e.keepalive_warnings) lines.push(`  ! keep-alive: ${w.detail} (since ${w.since})`)
      if (e.detail) lines.push(`  - ${e.detail}`)
      if (e.next) lines.push(`  - To fix, run: ${e.next}`)
      // Reasons, hosts and paths come from servers and files: each line is shown, never obeyed.
      return `${lines.map((l) => printable(l)).join('\n')}\n`
    })
    .join('\n')
}
