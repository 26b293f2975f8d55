import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { RefreshOptions } from './options.js'

export function refreshCommand(dispatch: Dispatch): Command {
  return new Command('refresh')
    .description(
      'refresh the access token now if it is due (or always, with --force), under the credential lock',
    )
    .addOption(profileOption())
    .option('--force', 'refresh even if the access token is still valid')
    .action((opts: RefreshOptions) => dispatch(() => import('./run.js').then((m) => m.refreshRun), opts))
}
