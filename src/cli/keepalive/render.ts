import { printable } from '../../printable.js'
import type { KeepaliveStatusReport } from '../../usecases/keepaliveStatus.js'

function when(iso: string | null, now: Date): string {
  if (!iso) return '-'
  const s = Math.round((new Date(iso).getTime() - now.getTime()) / 1000)
  const a = Math.abs(s)
  const text = a < 120 ? `${a}s` : a < 7200 ? `${Math.round(a / 60)}m` : `${Math.round(a / 3600)}h`
  return `${iso} (${s < 0 ? `${text} ago` : `in ${text}`})`
}

/** The state for a person: the daemon first, then one block per profile; never a secret (none is kept). */
export function renderKeepaliveStatus(r: KeepaliveStatusReport, now: Date): string {
  if (!r.daemon) {
    return `The keep-alive daemon has not run here (no ${r.state_file}).\nStart it with: authkeep keepalive install\n`
  }
  const d = r.daemon
  const lines = [
    d.running
      ? `daemon: running (pid ${d.pid}), last heartbeat ${when(d.heartbeat_at, now)}`
      : `daemon: not running (pid ${d.pid} ${d.stopped_at ? `stopped ${when(d.stopped_at, now)}` : `last heartbeat ${when(d.heartbeat_at, now)}, did not stop cleanly`})`,
    `warns ${d.warn_days} days before a login ends; notify command: ${d.notify_command ? 'set' : 'none'}`,
  ]
  for (const p of r.profiles) {
    lines.push('', `${p.profile}: ${p.state}`)
    lines.push(`  next refresh   ${when(p.next_refresh_at, now)}`)
    lines.push(`  last refresh   ${when(p.last_refresh_at, now)}`)
    if (p.login_ends_at) lines.push(`  login ends     ${when(p.login_ends_at, now)}`)
    if (p.consecutive_failures > 0) lines.push(`  failures       ${p.consecutive_failures} in a row`)
    if (p.last_error) lines.push(`  last error     ${p.last_error} (${when(p.last_error_at, now)})`)
    for (const w of p.warnings) {
      const notified = w.notified_at ? `; notified, exit ${w.notify_exit ?? '?'}` : ''
      lines.push(`  WARNING ${w.reason}: ${w.detail}${notified}`)
    }
  }
  // Errors and details in the state file quote servers: each line is shown, never obeyed.
  return `${lines.map((l) => printable(l)).join('\n')}\n`
}
