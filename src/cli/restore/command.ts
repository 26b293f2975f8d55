import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'

export function restoreCommand(dispatch: Dispatch): Command {
  return new Command('restore')
    .description('put a backup back exactly as it was (what it replaces is backed up first)')
    .argument('<id>', 'a backup id from `authkeep backups`')
    .action((id: string) => dispatch(() => import('./run.js').then((m) => m.restoreRun), { id }))
}
