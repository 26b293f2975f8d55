import { type Check, finding } from '../finding.js'
import { claudeProcesses, sameDir } from './claudeProcesses.js'

/** `procRoot` defaults to AUTHKEEP_PROC_ROOT, else /proc: tests hand it a fake process table. */
export function makeProcessesShared(procRoot?: string): Check {
  return {
    id: 'processes.shared',
    title: 'at most one running Claude Code process uses this login',
    kinds: ['claude-code'],
    async run(ctx) {
      const configDir = ctx.configDir
      if (configDir === undefined) return []
      const root = procRoot ?? ctx.env.AUTHKEEP_PROC_ROOT ?? '/proc'
      const sharing = []
      for (const p of await claudeProcesses(root)) {
        if (await sameDir(p.configDir, configDir)) sharing.push(p.pid)
      }
      if (sharing.length < 2) return []
      return [
        finding(
          'processes.shared',
          'warning',
          `${sharing.length} Claude Code processes use ${configDir} (pids ${sharing.sort((a, b) => a - b).join(', ')})`,
          "each refreshes the same rotating refresh token when the access token expires: Claude Code's lock serialises them only when all see the same path, and waiters give up after a few seconds when the token endpoint is slow, then fail with 401 (refreshing ahead of time means none of them has to)",
          `authkeep refresh --profile ${ctx.profile.name}`,
        ),
      ]
    },
  }
}

export const processesShared = makeProcessesShared()
