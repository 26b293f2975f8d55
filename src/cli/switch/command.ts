import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { SwitchOptions } from './options.js'

export function switchCommand(dispatch: Dispatch): Command {
  return new Command('switch')
    .description(
      "make an account the one the CLI uses machine-wide (under the CLI's own locks; the outgoing account's latest tokens are kept)",
    )
    .argument('<name>', 'the account, as `authkeep account list` names it')
    .addOption(profileOption())
    .action((name: string, opts: { profile?: string }) =>
      dispatch(() => import('./run.js').then((m) => m.switchRun), { ...opts, name } as SwitchOptions),
    )
}
