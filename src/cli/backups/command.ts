import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { jsonOption } from '../options.js'
import type { BackupsOptions } from './options.js'

export function backupsCommand(dispatch: Dispatch): Command {
  return new Command('backups')
    .description('list the backups authkeep kept before replacing or removing a credential (newest first)')
    .option('--profile <name>', 'only this profile')
    .addOption(jsonOption())
    .action((opts: BackupsOptions) => dispatch(() => import('./run.js').then((m) => m.backupsRun), opts))
}
