import { Command, Option } from 'commander'
import { LOGIN_METHODS } from '../../oauth/chooseMethod.js'
import type { Dispatch } from '../dispatch.js'
import { intIn, profileOption } from '../options.js'
import type { LoginOptions } from './options.js'

export function withLoginFlowOptions(cmd: Command): Command {
  return cmd
    .addOption(profileOption())
    .addOption(
      new Option(
        '--method <method>',
        'auto picks by environment: SSH/headless → device (else paste), desktop → loopback',
      )
        .choices(LOGIN_METHODS)
        .default('auto'),
    )
    .addOption(
      new Option('--port <n>', 'loopback port to listen on (0 = random); forward it with ssh -L').argParser(
        intIn(0, 65535),
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', 'give up after this long').argParser(intIn(1, 86_400)).default(600),
    )
}

export function loginCommand(dispatch: Dispatch): Command {
  return withLoginFlowOptions(
    new Command('login').description(
      'sign in; works without a browser on this machine (device code, pasted code, forwarded loopback)',
    ),
  )
    .addOption(
      new Option('--store <where>', "where the tokens go (default: the profile's, else auto)").choices([
        'auto',
        'file',
        'keyring',
      ]),
    )
    .option(
      '--long-lived',
      'claude-code: mint a 1-year inference-only token (as `claude setup-token` does), kept by authkeep for exec',
    )
    .option(
      '--for <user@host>',
      "log in here (with this machine's browser) for another machine and deliver it over your ssh; a grant of its own",
    )
    .option(
      '--complete-handoff <text>',
      'run the browser part of `authkeep login --method handoff` started on another machine',
    )
    .addOption(new Option('--receive', 'read a login sent by `login --for` from stdin').hideHelp())
    .action((opts: LoginOptions) => dispatch(() => import('./run.js').then((m) => m.loginRun), opts))
}
