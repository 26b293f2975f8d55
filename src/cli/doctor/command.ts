import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { jsonOption, profileOption } from '../options.js'
import type { DoctorOptions } from './options.js'

export function doctorCommand(dispatch: Dispatch): Command {
  return new Command('doctor')
    .description(
      'name what breaks the login (default profile: claude-code) and the exact command that fixes it',
    )
    .addOption(profileOption())
    .addOption(jsonOption())
    .option(
      '--online',
      'also check the token endpoint (DNS, TCP, TLS), the clock, and the login itself (refreshes under the lock)',
    )
    .option('--fix', 'apply the safe fixes (each is announced); the rest are listed with their command')
    .action((opts: DoctorOptions) => dispatch(() => import('./run.js').then((m) => m.doctorRun), opts))
}
