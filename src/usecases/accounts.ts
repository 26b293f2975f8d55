import type { Deps } from '../deps.js'
import { UsageError } from '../errors.js'
import { identityOf } from '../oauth/identity.js'
import { credentialFromTokens } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import {
  type Accounts,
  checkAccountName,
  knownAccounts,
  readAccounts,
  slotProfile,
  writeAccounts,
} from '../stores/accountSlots.js'
import { recoverSwitch } from './accountRecovery.js'
import { withCredentialLock } from './credentialLock.js'
import { type LoginInput, obtainTokens, storeLogin } from './login.js'
import { type LogoutResult, logout } from './logout.js'
import { profileStatus, type StatusEntry } from './status.js'

/** The profile that holds an account's grant now: the CLI's own credential when active, else its slot. */
export function holderOf(profile: Profile, accounts: Accounts, name: string): Profile {
  return accounts.active === name ? profile : slotProfile(profile, name)
}

/** The account, known to this profile; otherwise a usage error listing the known ones. */
export function knownAccount(profile: Profile, accounts: Accounts, name: string): string {
  checkAccountName(name, undefined)
  if (accounts.accounts[name]) return name
  throw new UsageError(
    `profile "${profile.name}" has no account "${name}" (known: ${knownAccounts(accounts)})`,
    `authkeep account add ${name} --profile ${profile.name}`,
  )
}

/**
 * Logs in (any method the profile allows) into the account's own slot: a grant of its own. Adding a
 * name that exists logs that account in again (its old record backed up first, as `login` does).
 */
export async function addAccount(
  deps: Deps,
  profile: Profile,
  name: string,
  input: LoginInput,
): Promise<{ active: boolean }> {
  checkAccountName(name, undefined)
  await recoverSwitch(deps, profile)
  const tokens = await obtainTokens(deps, profile, input)
  const identity = await identityOf(profile, tokens)
  const accounts = await readAccounts(deps.paths, profile.name)
  const holder = holderOf(profile, accounts, name)
  const credential = credentialFromTokens(tokens, {
    profile: holder.name,
    now: deps.clock.now(),
    host: deps.host,
    secretsIn: 'file',
  })
  await withCredentialLock(deps, holder, () => storeLogin(deps, holder, credential, 'file'))
  const latest = await readAccounts(deps.paths, profile.name)
  latest.accounts[name] = { added_at: deps.clock.now().toISOString(), identity: { ...identity } }
  await writeAccounts(deps.paths, latest)
  const who = identity.email ?? identity.organization ?? identity.subject
  deps.io.err(
    `✓ Account "${name}" of profile "${profile.name}" logged in${who ? ` (${who})` : ''}; ${
      latest.active === name ? 'it is the active one' : `switch to it with: authkeep switch ${name}`
    }.\n`,
  )
  return { active: latest.active === name }
}

export interface AccountRow {
  account: string
  active: boolean
  identity: Accounts['accounts'][string]['identity']
  added_at: string
  /** The login's state and expiry, as `status` shows a profile's; never a secret. */
  state: StatusEntry['state']
  access_token_expires_at: string | null
  refresh_token_expires_at: string | null
  detail: string | null
  next: string | null
}

export async function listAccounts(deps: Deps, profile: Profile): Promise<AccountRow[]> {
  await recoverSwitch(deps, profile)
  const accounts = await readAccounts(deps.paths, profile.name)
  const rows: AccountRow[] = []
  for (const [account, entry] of Object.entries(accounts.accounts).sort(([a], [b]) => a.localeCompare(b))) {
    const s = await profileStatus(deps, holderOf(profile, accounts, account))
    const dead = s.state === 'login_required' || s.state === 'logged_out'
    rows.push({
      account,
      active: accounts.active === account,
      identity: entry.identity,
      added_at: entry.added_at,
      state: s.state,
      access_token_expires_at: s.access_token_expires_at,
      refresh_token_expires_at: s.refresh_token_expires_at,
      detail: s.detail,
      next: dead ? `authkeep account add ${account} --profile ${profile.name}` : s.next,
    })
  }
  return rows
}

/** Backs up, removes and revokes the account's grant (the CLI's own login when it is the active one). */
export async function removeAccount(deps: Deps, profile: Profile, name: string): Promise<LogoutResult> {
  await recoverSwitch(deps, profile)
  const accounts = await readAccounts(deps.paths, profile.name)
  knownAccount(profile, accounts, name)
  const result = await logout(deps, holderOf(profile, accounts, name))
  const latest = await readAccounts(deps.paths, profile.name)
  delete latest.accounts[name]
  if (latest.active === name) latest.active = null
  await writeAccounts(deps.paths, latest)
  return result
}

/** Every inactive account's slot, for keep-alive: each is refreshed and watched like a profile. */
export async function slotProfiles(deps: Deps, profiles: Profile[]): Promise<Profile[]> {
  const slots: Profile[] = []
  for (const profile of profiles) {
    // A switch killed midway leaves a grant in two places: settled before any slot is refreshed.
    await recoverSwitch(deps, profile).catch(() => {})
    const accounts = await readAccounts(deps.paths, profile.name).catch(() => undefined)
    if (accounts?.switching) continue
    for (const name of Object.keys(accounts?.accounts ?? {}))
      if (accounts?.active !== name) slots.push(slotProfile(profile, name))
  }
  return slots
}
