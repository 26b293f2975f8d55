import { spawn } from 'node:child_process'
import type { WarningReason } from './state.js'

export interface Notice {
  profile: string
  reason: WarningReason
  /** A sentence for a person; built from names, times and server error codes, never from a token. */
  detail: string
}

/** Runs the user's notify command for one warning; resolves with its exit code (or 128+signal). */
export type Notifier = (notice: Notice) => Promise<number>

const NOTIFY_TIMEOUT_MS = 60_000

/**
 * The command goes through /bin/sh, as a shell line the user wrote; the notice travels in the
 * environment only. Its output joins the daemon's log (stderr); a hung command is killed after a minute.
 */
export function shellNotifier(command: string, env: NodeJS.ProcessEnv): Notifier {
  return (notice) =>
    new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: {
          ...env,
          AUTHKEEP_PROFILE: notice.profile,
          AUTHKEEP_REASON: notice.reason,
          AUTHKEEP_DETAIL: notice.detail,
        },
        stdio: ['ignore', 2, 2],
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), NOTIFY_TIMEOUT_MS)
      child.once('error', () => {
        clearTimeout(timer)
        resolve(127)
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        resolve(code ?? (signal ? 128 + 9 : 1))
      })
    })
}
