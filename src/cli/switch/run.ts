import { ExitCode } from '../../errors.js'
import { switchAccount } from '../../usecases/switchAccount.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { SwitchOptions } from './options.js'

export const switchRun: Run<SwitchOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'switch')
  const outcome = await switchAccount(deps, profile, opts.name)
  deps.io.err(
    outcome === 'already-active'
      ? `Account "${opts.name}" of profile "${profile.name}" is already the active one.\n`
      : `✓ Switched profile "${profile.name}" to account "${opts.name}".\n`,
  )
  return ExitCode.ok
}
