import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import type { SshOptions } from './options.js'

export function sshCommand(dispatch: Dispatch): Command {
  return new Command('ssh')
    .description(
      'ssh to a host with the authkeep agent forwarded: there, `authkeep token`/`exec` get fresh access tokens from this machine',
    )
    .usage('[--socket PATH] [ssh options] [user@]host [command...]  |  --print-config HOST')
    .option(
      '--socket <path>',
      "the local agent's socket (default: $AUTHKEEP_AGENT_SOCK, else the agent's default)",
    )
    .option(
      '--print-config <host>',
      'print an ~/.ssh/config block that forwards the agent to HOST, instead of connecting',
    )
    .argument('[ssh...]', "ssh's own options, the destination and an optional remote command")
    .allowUnknownOption()
    .passThroughOptions()
    .helpOption('--help')
    .action((sshArgs: string[], opts: Omit<SshOptions, 'sshArgs'>) =>
      dispatch(() => import('./run.js').then((m) => m.sshRun), { ...opts, sshArgs }),
    )
}
