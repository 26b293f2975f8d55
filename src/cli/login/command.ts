import { Command, Option } from 'commander'
import { LOGIN_METHODS, type RequestedMethod } from '../../oauth/chooseMethod.js'
import type { StorePreference } from '../../profiles/profile.js'
import type { Dispatch } from '../dispatch.js'
import { intIn, profileOption } from '../options.js'

export interface LoginOptions {
  profile?: string
  method: RequestedMethod
  port?: number
  timeout: number
  store?: StorePreference
}

export function loginCommand(dispatch: Dispatch): Command {
  return new Command('login')
    .description(
      'sign in; works without a browser on this machine (device code, pasted code, forwarded loopback)',
    )
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
    .addOption(
      new Option('--store <where>', "where the tokens go (default: the profile's, else auto)").choices([
        'auto',
        'file',
        'keyring',
      ]),
    )
    .action((opts: LoginOptions) => dispatch(() => import('./run.js').then((m) => m.loginRun), opts))
}
