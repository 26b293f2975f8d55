import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { ExecOptions } from './options.js'

export function execCommand(dispatch: Dispatch): Command {
  return new Command('exec')
    .description(
      'run a command with the credential in its environment (claude-code: ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN), refreshed first; exits with its code',
    )
    .addOption(profileOption())
    .option('--mask', "replace the secret in the command's output")
    .option(
      '--env <NAME>',
      'the variable to set (default: by profile; AUTHKEEP_ACCESS_TOKEN for OAuth profiles)',
    )
    .argument('<command...>', 'the command and its arguments, after --')
    .passThroughOptions()
    .action((command: string[], opts: Omit<ExecOptions, 'command'>) =>
      dispatch(() => import('./run.js').then((m) => m.execRun), { ...opts, command }),
    )
}
