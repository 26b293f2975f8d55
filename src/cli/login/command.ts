import { Command, Option } from 'commander'
import { LOGIN_METHODS, type RequestedMethod } from '../../oauth/chooseMethod.js'
import type { StorePreference } from '../../profiles/profile.js'
import type { Dispatch } from '../dispatch.js'
import { intIn, profileOption } from '../options.js'

/** How to sign in: shared by `login` and `reset`, which ends in a login. */
export interface LoginFlowOptions {
  profile?: string
  method: RequestedMethod
  port?: number
  timeout: number
}

export interface LoginOptions extends LoginFlowOptions {
  store?: StorePreference
  longLived?: boolean
}

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
    .action((opts: LoginOptions) => dispatch(() => import('./run.js').then((m) => m.loginRun), opts))
}
