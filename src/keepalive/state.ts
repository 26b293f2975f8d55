import { join } from 'node:path'
import * as z from 'zod/mini'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import type { Paths } from '../profiles/paths.js'
import { parseJsonFile } from '../validation.js'

export type WarningReason = 'login_required' | 'login_ending' | 'refresh_failing'

/** What the daemon knows of one profile. Written for `keepalive status`; never holds a secret. */
const profileSchema = z.looseObject({
  state: z.enum(['ok', 'retrying', 'login_required', 'logged_out', 'unreadable', 'no_refresh_token']),
  next_refresh_at: z.nullable(z.string()),
  last_refresh_at: z.nullable(z.string()),
  access_token_expires_at: z.nullable(z.string()),
  login_ends_at: z.nullable(z.string()),
  last_error: z.nullable(z.string()),
  last_error_at: z.nullable(z.string()),
  consecutive_failures: z.number(),
  warnings: z.array(
    z.looseObject({
      reason: z.enum(['login_required', 'login_ending', 'refresh_failing']),
      detail: z.string(),
      since: z.string(),
      /** When --notify-command ran for this warning, and its exit code; null without a command. */
      notified_at: z.nullable(z.string()),
      notify_exit: z.nullable(z.number()),
    }),
  ),
})

const stateSchema = z.looseObject({
  version: z.literal(1),
  daemon: z.looseObject({
    pid: z.number(),
    started_at: z.string(),
    heartbeat_at: z.string(),
    /** Set when the daemon ended cleanly; a dead pid without it means it crashed. */
    stopped_at: z.nullable(z.string()),
    warn_days: z.number(),
    notify_command: z.boolean(),
  }),
  profiles: z.record(z.string(), profileSchema),
})

export type ProfileState = z.output<typeof profileSchema>
export type KeepaliveState = z.output<typeof stateSchema>
export type StateWarning = ProfileState['warnings'][number]

export function stateFile(paths: Paths): string {
  return join(paths.stateDir, 'keepalive', 'state.json')
}

export async function readState(paths: Paths): Promise<KeepaliveState | undefined> {
  const file = stateFile(paths)
  const text = await readFileIfExists(file)
  return text === undefined ? undefined : parseJsonFile(file, text, stateSchema, `rm ${file}`)
}

export async function writeState(paths: Paths, state: KeepaliveState): Promise<void> {
  await writeFileAtomic(stateFile(paths), `${JSON.stringify(state, null, 2)}\n`)
}

export function emptyProfileState(): ProfileState {
  return {
    state: 'logged_out',
    next_refresh_at: null,
    last_refresh_at: null,
    access_token_expires_at: null,
    login_ends_at: null,
    last_error: null,
    last_error_at: null,
    consecutive_failures: 0,
    warnings: [],
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
