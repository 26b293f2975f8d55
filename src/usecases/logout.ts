import type { Deps } from '../deps.js'
import { revokeToken } from '../oauth/revocation.js'
import type { Profile } from '../profiles/profile.js'
import { backupExisting } from '../stores/backups.js'
import { withClientSecret } from './clientSecret.js'
import { withCredentialLock } from './credentialLock.js'

export interface LogoutResult {
  loggedIn: boolean
  revoked: 'yes' | 'no-endpoint' | 'no-token' | 'failed'
  backup: string | undefined
}

/** A 0600 backup, then removal of the record, then RFC 7009 revocation where the server offers it. */
export async function logout(
  deps: Deps,
  profile: Profile,
  reason: 'logout' | 'reset' = 'logout',
): Promise<LogoutResult> {
  const store = deps.storeFor(profile)
  return withCredentialLock(deps, profile, async () => {
    const { credential, backup } = await backupExisting(
      deps.paths,
      store,
      profile.name,
      reason,
      deps.clock.now(),
    )
    if (!backup) return { loggedIn: false, revoked: 'no-token', backup }
    // Cleared before revoking: a logout killed in between leaves no login here (the backup holds it),
    // never a stored token the server has already revoked, which `token` would hand out as valid.
    await store.remove(profile.name, credential?.secretsIn)
    let revoked: LogoutResult['revoked'] = 'no-token'
    const token = credential?.refreshToken ?? credential?.accessToken
    if (token && !profile.endpoints.revocation) revoked = 'no-endpoint'
    else if (token) {
      const outcome = await revokeToken(
        await withClientSecret(deps, profile),
        token.reveal(),
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
