import type { Deps } from '../deps.js'
import type { Profile } from '../profiles/profile.js'
import { type Accounts, readAccounts, slotProfile, writeAccounts } from '../stores/accountSlots.js'
import type { Credential } from '../stores/credential.js'
import { withCredentialLock } from './credentialLock.js'

/** Finishes or undoes a switch a killed process left half done; a no-op when none is pending. */
export async function recoverSwitch(deps: Deps, profile: Profile): Promise<void> {
  const accounts = await readAccounts(deps.paths, profile.name)
  const j = accounts.switching
  if (!j) return
  await underAllLocks(deps, profile, [j.from, j.to], async () => {
    await settle(deps, profile, await readAccounts(deps.paths, profile.name))
  })
}

/** The CLI's own lock first, then the slots' in name order: two switches never wait on each other in a ring. */
export function underAllLocks<T>(
  deps: Deps,
  profile: Profile,
  accounts: Array<string | null>,
  fn: () => Promise<T>,
): Promise<T> {
  const names = [...new Set(accounts.filter((a): a is string => a !== null))].sort()
  const nest = names.reduceRight<() => Promise<T>>(
    (inner, account) => () => withCredentialLock(deps, slotProfile(profile, account), inner),
    fn,
  )
  return withCredentialLock(deps, profile, nest)
}

const sameGrant = (a: Credential | undefined, b: Credential | undefined) =>
  a?.refreshToken !== undefined && a.refreshToken.reveal() === b?.refreshToken?.reveal()

/**
 * With every lock held: where a killed switch left the grants decides. The incoming grant in the CLI's
 * file (or its slot already emptied) finishes the switch; otherwise the outgoing one is still there and
 * the copy saved of it is dropped. A file changed since by the CLI itself matches neither: then every
 * copy is kept and no account is marked active, so nothing is lost.
 */
export async function settle(deps: Deps, profile: Profile, accounts: Accounts): Promise<Accounts> {
  const j = accounts.switching
  if (!j) return accounts
  const read = (p: Profile) =>
    deps
      .credentialsOf(p)
      .read()
      .catch(() => undefined)
  const target = await read(profile)
  const slotIn = deps.credentialsOf(slotProfile(profile, j.to))
  const inSlot = await slotIn.read().catch(() => undefined)
  const outProfile = j.from === null ? undefined : slotProfile(profile, j.from)
  const outSlot = outProfile && (await read(outProfile))
  let active: string | null
  if (sameGrant(target, inSlot)) {
    await slotIn.remove('file')
    active = j.to
  } else if (!inSlot) {
    active = j.to
  } else if (outProfile && sameGrant(target, outSlot)) {
    await deps.credentialsOf(outProfile).remove('file')
    active = j.from
  } else if (outProfile && !outSlot) {
    active = j.from
  } else if (!outProfile) {
    active = null
  } else {
    active = null
    deps.io.err(
      `! A switch of profile "${profile.name}" from "${j.from}" to "${j.to}" was interrupted and the credential changed since; every copy was kept and no account is marked active. Check with: authkeep account list --profile ${profile.name}\n`,
    )
  }
  const settled = { ...accounts, active, switching: undefined }
  await writeAccounts(deps.paths, settled)
  return settled
}
