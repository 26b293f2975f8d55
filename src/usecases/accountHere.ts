import type { Deps } from '../deps.js'
import { ConfigError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { bindingFor } from '../stores/accountBinding.js'
import { knownAccounts, readAccounts, slotProfile } from '../stores/accountSlots.js'
import { recoverSwitch } from './accountRecovery.js'

export interface AccountHere {
  account: string
  /** 'bound': a `.authkeep-account` in this directory or a parent names it; 'active': the machine-wide one. */
  why: 'bound' | 'active'
  file: string | undefined
  /** The profile whose credential holds its grant: the CLI's own when active, else the account's slot. */
  holder: Profile
}

/**
 * The account that applies in the working directory: the one a binding file names, else the active
 * one; undefined when the profile has no accounts and no binding. A binding that names an account the
 * profile does not have is one line naming the file.
 */
export async function accountHere(deps: Deps, profile: Profile): Promise<AccountHere | undefined> {
  const binding = await bindingFor(deps.cwd, profile.name)
  // A switch killed midway leaves a grant in two places: settled first, so no copy is refreshed twice.
  await recoverSwitch(deps, profile)
  const accounts = await readAccounts(deps.paths, profile.name)
  if (binding) {
    if (!accounts.accounts[binding.account]) {
      throw new ConfigError(
        binding.file,
        `names account "${binding.account}", which profile "${profile.name}" does not have (known: ${knownAccounts(accounts)})`,
        `authkeep account add ${binding.account} --profile ${profile.name}`,
      )
    }
    const active = accounts.active === binding.account
    return {
      account: binding.account,
      why: 'bound',
      file: binding.file,
      holder: active ? profile : slotProfile(profile, binding.account),
    }
  }
  if (accounts.active === null) return undefined
  return { account: accounts.active, why: 'active', file: undefined, holder: profile }
}
