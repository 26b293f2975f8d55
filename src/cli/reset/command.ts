import { Command } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { withLoginFlowOptions } from '../login/command.js'
import type { ResetOptions } from './options.js'

export function resetCommand(dispatch: Dispatch): Command {
  return withLoginFlowOptions(
    new Command('reset').description(
      'back up, revoke, clear the stored login and its stale state, then sign in again headlessly',
    ),
  ).action((opts: ResetOptions) => dispatch(() => import('./run.js').then((m) => m.resetRun), opts))
}
