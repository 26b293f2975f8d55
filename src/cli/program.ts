import { Command } from 'commander'
import { accountCommand } from './account/command.js'
import { agentCommand } from './agent/command.js'
import { backupsCommand } from './backups/command.js'
import { claudeCommand } from './claude/command.js'
import type { Dispatch } from './dispatch.js'
import { doctorCommand } from './doctor/command.js'
import { execCommand } from './exec/command.js'
import { fleetCommand } from './fleet/command.js'
import { installCommand } from './install/command.js'
import { keepaliveCommand } from './keepalive/command.js'
import { keyCommand } from './key/command.js'
import { loginCommand } from './login/command.js'
import { logoutCommand } from './logout/command.js'
import { profileCommand } from './profile/command.js'
import { refreshCommand } from './refresh/command.js'
import { resetCommand } from './reset/command.js'
import { restoreCommand } from './restore/command.js'
import { sshCommand } from './ssh/command.js'
import { statusCommand } from './status/command.js'
import { switchCommand } from './switch/command.js'
import { tokenCommand } from './token/command.js'

export const EXIT_CODE_HELP = `
Exit codes:
  0    ok
  1    error (the message says what failed)
  2    usage: a flag, argument or pasted input was wrong
  3    a config file or stored record is invalid, or unsafe (names the file and field)
  4    login required: no login, or the server no longer accepts it
  5    another process held the credential lock too long
  6    the authorization server (a forwarded token agent, the fleet's etcd) could not be reached or failed for now
  7    doctor: warnings found (the login works for now)
  8    doctor: errors found (the login is broken or about to be)
  127  exec: the command was not found (otherwise exec exits with the command's own code)
  130  cancelled or timed out waiting for the person
`

export function buildProgram(dispatch: Dispatch, version: string): Command {
  const program = new Command('authkeep')
    .description('Keeps OAuth-signed-in developer CLIs signed in on machines without a browser.')
    .version(version)
    .enablePositionalOptions()
    .addHelpText('after', EXIT_CODE_HELP)
  for (const sub of [
    loginCommand(dispatch),
    tokenCommand(dispatch),
    refreshCommand(dispatch),
    statusCommand(dispatch),
    logoutCommand(dispatch),
    profileCommand(dispatch),
    doctorCommand(dispatch),
    resetCommand(dispatch),
    backupsCommand(dispatch),
    restoreCommand(dispatch),
    keyCommand(dispatch),
    execCommand(dispatch),
    claudeCommand(dispatch),
    keepaliveCommand(dispatch),
    agentCommand(dispatch),
    sshCommand(dispatch),
    installCommand(dispatch),
    accountCommand(dispatch),
    switchCommand(dispatch),
    fleetCommand(dispatch),
  ]) {
    program.addCommand(sub)
  }
  return program
}
