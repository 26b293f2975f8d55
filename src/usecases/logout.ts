import type { Deps } from '../deps.js'
import { revokeToken } from '../oauth/revocation.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { type BackupResult, backupExisting, backupId } from '../stores/backups.js'
import { withClientSecret } from './clientSecret.js'
import { withCredentialLock } from './credentialLock.js'

export interface LogoutResult {
  loggedIn: boolean
  /** 'unread': the record was backed up and removed, but could not be read, so nothing was revoked. */
  revoked: 'yes' | 'no-endpoint' | 'no-token' | 'failed' | 'unread'
  backup: string | undefined
  /** Why the record could not be read, when `revoked` is 'unread'. */
  unread?: BackupResult['unread']
}

/** A 0600 backup, then removal of the record, then RFC 7009 revocation where the server offers it. */
export async function logout(
  deps: Deps,
  profile: Profile,
  reason: 'logout' | 'reset' = 'logout',
): Promise<LogoutResult> {
  const store = deps.credentialsOf(profile)
  return withCredentialLock(deps, profile, async () => {
    const { credential, unread, backup } = await backupExisting(
      deps.paths,
      store,
      profile.name,
      reason,
      deps.clock.now(),
    )
    if (!backup) return { loggedIn: false, revoked: 'no-token', backup }
    // Cleared before revoking: a logout killed in between leaves no login here (the backup holds it),
    // never a stored token the server has already revoked, which `token` would hand out as valid.
    await store.remove(credential?.secretsIn)
    // A record that was refused may still hold a live grant: say so, rather than "nothing to revoke".
    if (unread !== undefined) return { loggedIn: true, revoked: 'unread', backup, unread }
    let revoked: LogoutResult['revoked'] = 'no-token'
    const token = credential?.refreshToken ?? credential?.accessToken
    if (token && !profile.endpoints.revocation) revoked = 'no-endpoint'
    else if (token) {
      const outcome = await revokeToken(
        await withClientSecret(deps, profile),
        token,
        credential?.refreshToken ? 'refresh_token' : 'access_token',
      )
      if (!outcome.revoked)
        deps.io.err(
          `! Could not revoke the token at the server (${outcome.why}); it stays valid there until it expires.\n`,
        )
      revoked = outcome.revoked ? 'yes' : 'failed'
    }
    return { loggedIn: true, revoked, backup }
  })
}

/**
 * What to tell when a refused record was removed unrevoked. A record refused for its place (a link, an
 * owner, a mode) holds a readable login: restoring writes it back as a private file of this user's,
 * which a second logout reads and revokes. One that does not parse holds no token authkeep can find.
 */
export function unrevoked(profile: string, result: LogoutResult): string {
  const why = printable(result.unread?.why ?? '')
  const how = result.unread?.unsafe
    ? `To revoke it, run: authkeep restore ${backupId(result.backup ?? '')} && authkeep logout --profile ${profile}`
    : 'No token could be read from it to revoke: end the session at the provider if it held one'
  return `NOT revoked at the server: its record could not be read (${why}), so a token in it stays valid there until it expires; backup kept at ${result.backup}. ${how}`
}
