import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { profileOption } from '../options.js'
import type { ClaudeAction } from './options.js'

export function claudeCommand(dispatch: Dispatch): Command {
  const run = (a: ClaudeAction) => dispatch(() => import('./run.js').then((m) => m.claudeRun), a)
  const claude = new Command('claude').description('wire authkeep into Claude Code')
  claude
    .command('use-helper')
    .description(
      'make Claude Code ask authkeep for its API key (apiKeyHelper in its user settings.json; backup first)',
    )
    .addOption(profileOption())
    .option('--off', 'remove the apiKeyHelper setting again')
    .action((opts: { profile?: string; off?: boolean }) =>
      run({ action: 'use-helper', profile: opts.profile, off: opts.off === true }),
    )
  claude
    .command('helper')
    .description("print the profile's stored key on stdout: what Claude Code runs as apiKeyHelper")
    .addOption(profileOption())
    .action((opts: { profile?: string }) => run({ action: 'helper', profile: opts.profile }))
  return claude
}
