import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import type { AgentOptions } from './options.js'

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value]

export function agentCommand(dispatch: Dispatch): Command {
  return new Command('agent')
    .description(
      'serve fresh access tokens over a Unix socket to machines reached with `authkeep ssh`; the refresh token stays here',
    )
    .option(
      '--profile <name>',
      'a profile to serve (repeat for several; default: as for other commands)',
      collect,
    )
    .option(
      '--socket <path>',
      'where to listen (default: $XDG_RUNTIME_DIR/authkeep/agent.sock, else the state dir)',
    )
    .option('--confirm', "ask on this terminal (y/N, 60 s) before the first token for each host's session")
    .addHelpText(
      'after',
      '\nThe agent prints `export AUTHKEEP_AGENT_SOCK=...` on stderr; then `authkeep ssh user@host` forwards it.\nIt runs until interrupted (Ctrl-C) and logs every request on stderr, never a token.',
    )
    .action((opts: AgentOptions) => dispatch(() => import('./run.js').then((m) => m.agentRun), opts))
}
