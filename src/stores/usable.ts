import { LoginRequiredError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import type { Credential } from './credential.js'

export interface TokenResult {
  credential: Credential
  /** What happened: served from the record, taken from a peer that refreshed first, or refreshed here. */
  source: 'cached' | 'adopted' | 'refreshed'
}

/** The stored login, when it can be used or refreshed; a missing or marked one needs a new login. */
export function usable(profile: Profile, c: Credential | undefined): Credential {
  if (!c) throw new LoginRequiredError(profile.name, `profile "${profile.name}" has no login yet`)
  if (c.state === 'login_required') {
    throw new LoginRequiredError(profile.name, c.stateReason ?? `profile "${profile.name}" needs a new login`)
  }
  return c
}
