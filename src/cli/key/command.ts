import { Command, Option } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { KeyAction, KeySetOptions } from './options.js'

export function keyCommand(dispatch: Dispatch): Command {
  const run = (a: KeyAction) => dispatch(() => import('./run.js').then((m) => m.keyRun), a)
  const key = new Command('key').description('API keys and long-lived tokens, stored safely, used by exec')
  key
    .command('set')
    .description('store a key read from a hidden prompt or from stdin (never from the command line)')
    .addOption(profileOption())
    .addOption(
      new Option('--kind <kind>', 'what it is (default: recognised from its prefix, else api-key)').choices([
        'api-key',
        'oauth-token',
      ]),
    )
    .addOption(
      new Option('--store <where>', 'keyring when it works, else a 0600 file')
        .choices(['auto', 'file', 'keyring'])
        .default('auto'),
    )
    .action((opts: KeySetOptions) => run({ action: 'set', opts }))
  key
    .command('remove')
    .description('remove the stored key (a 0600 backup is kept)')
    .addOption(profileOption())
    .action((opts: { profile?: string }) => run({ action: 'remove', opts }))
  return key
}
