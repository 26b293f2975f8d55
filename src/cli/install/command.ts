import { Command } from 'commander'
import { DEFAULT_INSTALL_DIR } from '../../usecases/installRemote.js'
import type { Dispatch } from '../dispatch.js'
import type { InstallOptions } from './options.js'

export function installCommand(dispatch: Dispatch): Command {
  return new Command('install')
    .description(
      'copy authkeep as one executable (no Node needed there) to a remote over your ssh, verify its sha256 there',
    )
    .requiredOption('--to <user@host>', 'the remote, as you would give it to ssh (~/.ssh/config applies)')
    .option('--dir <path>', 'the folder on the remote (~ is the remote home)', DEFAULT_INSTALL_DIR)
    .option('--exe <file>', "the executable to copy (default: the one built for the remote's CPU)")
    .action((opts: InstallOptions) => dispatch(() => import('./run.js').then((m) => m.installRun), opts))
}
