import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { LogoutOptions } from './options.js'

export function logoutCommand(dispatch: Dispatch): Command {
  return new Command('logout')
    .description(
      'revoke the login at the server (RFC 7009), keep a 0600 backup, and remove the stored credential',
    )
    .addOption(profileOption())
    .action((opts: LogoutOptions) => dispatch(() => import('./run.js').then((m) => m.logoutRun), opts))
}
