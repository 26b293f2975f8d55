import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { TokenOptions } from './options.js'

export function tokenCommand(dispatch: Dispatch): Command {
  return new Command('token')
    .description('print a valid access token on stdout, refreshing it first when due')
    .addOption(profileOption())
    .action((opts: TokenOptions) => dispatch(() => import('./run.js').then((m) => m.tokenRun), opts))
}
