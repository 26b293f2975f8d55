import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { withLoginFlowOptions } from '../login/command.js'
import type { LoginFlowOptions } from '../login/options.js'
import { jsonOption, profileOption } from '../options.js'
import type { AccountAction } from './options.js'

export function accountCommand(dispatch: Dispatch): Command {
  const run = (a: AccountAction) => dispatch(() => import('./run.js').then((m) => m.accountRun), a)
  const account = new Command('account').description(
    'several accounts of one CLI (e.g. personal and work), each its own login; see `authkeep switch`',
  )
  withLoginFlowOptions(
    account
      .command('add')
      .description('log in (any method, headless included) into a named account slot: a grant of its own')
      .argument('<name>', 'the account name'),
  ).action((name: string, opts: LoginFlowOptions) => run({ action: 'add', name, opts }))
  account
    .command('list')
    .description("the profile's accounts: who each is (where the provider says), its state, which is active")
    .addOption(profileOption())
    .addOption(jsonOption())
    .action((opts: { profile?: string; json?: boolean }) => run({ action: 'list', opts }))
  account
    .command('remove')
    .description('remove an account: its login is backed up, removed and revoked at the server')
    .argument('<name>', 'the account name')
    .addOption(profileOption())
    .action((name: string, opts: { profile?: string }) => run({ action: 'remove', name, opts }))
  return account
}
