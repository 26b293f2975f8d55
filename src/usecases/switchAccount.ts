import type { Deps } from '../deps.js'
import { LoginRequiredError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { readAccounts, slotProfile, writeAccounts } from '../stores/accountSlots.js'
import { backupExisting } from '../stores/backups.js'
import { recoverSwitch, settle, underAllLocks } from './accountRecovery.js'
import { knownAccount } from './accounts.js'
import { getToken } from './getToken.js'

export type SwitchOutcome = 'switched' | 'already-active'

/**
 * Makes `name` the account the CLI itself uses. Under the CLI's own locks (Claude Code's refresh locks
 * for claude-code), the outgoing account's tokens are read from the CLI's file as they are now (the CLI
 * may have refreshed them) into its slot, the incoming ones are written into the CLI's file, and the
 * incoming slot is emptied: one copy of each grant, never two that could both refresh. A journal in the
 * accounts file lets a switch killed at any step be finished or undone by the next accounts command.
 */
export async function switchAccount(deps: Deps, profile: Profile, name: string): Promise<SwitchOutcome> {
  await recoverSwitch(deps, profile)
  const before = await readAccounts(deps.paths, profile.name)
  knownAccount(profile, before, name)
  if (before.active === name) return 'already-active'
  const incoming = slotProfile(profile, name)
  // A dead login is found before anything moves: the active account stays where it is.
  await getToken(deps, incoming).catch((err: unknown) => {
    if (!(err instanceof LoginRequiredError)) throw err
    throw Object.assign(
      new LoginRequiredError(
        profile.name,
        `the login of account "${name}" of profile "${profile.name}" is dead (${err.message}); "${before.active ?? 'no account'}" stays active`,
      ),
      { next: `authkeep account add ${name} --profile ${profile.name}` },
    )
  })
  return underAllLocks(deps, profile, [before.active, name], async () => {
    const accounts = await settle(deps, profile, await readAccounts(deps.paths, profile.name))
    const from = accounts.active
    if (from === name) return 'already-active'
    const target = deps.credentialsOf(profile)
    const slotIn = deps.credentialsOf(incoming)
    await writeAccounts(deps.paths, {
      ...accounts,
      switching: { from, to: name, started_at: deps.clock.now().toISOString() },
    })
    const current = await target.read()
    if (from !== null && current) {
      const out = slotProfile(profile, from)
      await deps.credentialsOf(out).write({ ...current, profile: out.name, secretsIn: 'file' })
    } else if (current) {
      // A login that belongs to no account yet is kept as a backup before it is replaced.
      await backupExisting(deps.paths, target, profile.name, 'login', deps.clock.now())
    }
    const next = await slotIn.read()
    if (!next) throw new LoginRequiredError(profile.name, `account "${name}" has no stored login`)
    await target.write({ ...next, profile: profile.name })
    await slotIn.remove('file')
    await writeAccounts(deps.paths, { ...accounts, active: name, switching: undefined })
    return 'switched'
  })
}
