import type { Command } from 'commander'
import type { Dispatch } from './dispatch.js'

/**
 * Parses argv with a command built around a dispatch that records the options instead of running
 * anything: the seam gh calls runF, for testing flags apart from behaviour.
 */
export async function parseOnly(build: (d: Dispatch) => Command, argv: string[]): Promise<unknown> {
  let seen: unknown
  const dispatch: Dispatch = async (_load, opts) => {
    seen = opts
  }
  const cmd = build(dispatch)
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
  for (const sub of cmd.commands)
    sub.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
  await cmd.parseAsync(argv, { from: 'user' })
  return seen
}
