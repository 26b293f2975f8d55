import type { Deps } from '../deps.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { type LoginInput, login } from './login.js'
import { type LogoutResult, logout } from './logout.js'

export interface ResetResult {
  cleared: LogoutResult
}

/**
 * The manual cure, made safe: back up → remove the credential and its stale state → revoke at the server
 * where possible → log in again headlessly. Logout does the first three under the lock, so nothing is
 * removed without a backup; a failed login leaves the backup to restore.
 */
export async function reset(deps: Deps, profile: Profile, input: LoginInput): Promise<ResetResult> {
  const cleared = await logout(deps, profile, 'reset')
  if (cleared.backup) deps.io.err(`Backed up the old login to ${cleared.backup}.\n`)
  const revoked = { yes: 'Revoked it at the server.', failed: 'Could not revoke it at the server.' }
  if (cleared.revoked === 'yes' || cleared.revoked === 'failed') deps.io.err(`${revoked[cleared.revoked]}\n`)
  if (cleared.revoked === 'unread') {
    deps.io.err(
      `Did NOT revoke it at the server: its record could not be read (${printable(cleared.unread?.why ?? '')}), so a token in it stays valid there until it expires.\n`,
    )
  }
  deps.io.err(`Removed the stored credential of profile "${profile.name}"; signing in again.\n`)
  await login(deps, profile, input)
  return { cleared }
}
