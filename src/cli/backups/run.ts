import { ExitCode } from '../../errors.js'
import { listBackups } from '../../stores/backups.js'
import type { Run } from '../dispatch.js'
import type { BackupsOptions } from './options.js'

export const backupsRun: Run<BackupsOptions> = async (deps, opts) => {
  const entries = await listBackups(deps.paths, opts.profile)
  if (opts.json) {
    deps.io.out(
      `${JSON.stringify({ backups: entries.map(({ id, profile, reason, created_at }) => ({ id, profile, reason, created_at })) }, null, 2)}\n`,
    )
  } else if (entries.length === 0) {
    deps.io.err('No backups yet.\n')
  } else {
    deps.io.out(entries.map((e) => `${e.id}\t${e.reason}\t${e.created_at}\n`).join(''))
    deps.io.err(`To put one back, run: authkeep restore ${entries[0]?.id}\n`)
  }
  return ExitCode.ok
}
