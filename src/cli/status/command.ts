import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { jsonOption } from '../options.js'
import type { StatusOptions } from './options.js'

export function statusCommand(dispatch: Dispatch): Command {
  return new Command('status')
    .description(
      "show each profile's login: state, expiry, refresh token, where the secrets live (never the secrets)",
    )
    .option('--profile <name>', 'only this profile (default: all)')
    .addOption(jsonOption())
    .action((opts: StatusOptions) => dispatch(() => import('./run.js').then((m) => m.statusRun), opts))
}
